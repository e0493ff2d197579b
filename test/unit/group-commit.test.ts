import { describe, expect, it } from '@jest/globals';
import { GroupCommit } from '../../src/shared/batching/group-commit.js';

/** A batch runner that records each batch and answers when told to. */
function controlledRunner() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve, reject) => {
      pending.push(() =>
        items.includes(-1) ? reject(new Error('bad item')) : resolve(items.map((i) => i * 10)),
      );
    });
  };
  const finishAll = async () => {
    while (pending.length > 0) {
      pending.splice(0).forEach((finish) => finish());
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { run, batches, finishAll };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('runs items submitted in one turn together, and those that come while it runs as the next batch', async () => {
    const runner = controlledRunner();
    const group = new GroupCommit(runner.run, { maxInFlight: 1, maxWeight: 100, weight: () => 1 });
    const first = [1, 2, 3].map((i) => group.submit(i));
    await tick();
    const second = [4, 5].map((i) => group.submit(i));
    await tick();
    expect(runner.batches).toEqual([[1, 2, 3]]);
    await runner.finishAll();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(runner.batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('sends a lone item at once, in a batch of one', async () => {
    const runner = controlledRunner();
    const group = new GroupCommit(runner.run, { maxInFlight: 2, maxWeight: 100, weight: () => 1 });
    const only = group.submit(7);
    await tick();
    expect(runner.batches).toEqual([[7]]);
    await runner.finishAll();
    expect(await only).toBe(70);
  });

  it('keeps batches within maxWeight and runs at most maxInFlight at once', async () => {
    const runner = controlledRunner();
    const group = new GroupCommit(runner.run, { maxInFlight: 2, maxWeight: 5, weight: (item) => item });
    const results = [3, 2, 4, 5, 1].map((i) => group.submit(i));
    await tick();
    expect(runner.batches).toEqual([[3, 2], [4]]);
    await runner.finishAll();
    expect(await Promise.all(results)).toEqual([30, 20, 40, 50, 10]);
    expect(runner.batches).toEqual([[3, 2], [4], [5], [1]]);
  });

  it('runs a failed batch again item by item: only the bad item fails', async () => {
    const runner = controlledRunner();
    const group = new GroupCommit(runner.run, { maxInFlight: 1, maxWeight: 100, weight: () => 1 });
    const results = [1, -1, 2].map((i) => group.submit(i).then(String, (error: Error) => error.message));
    await tick();
    await runner.finishAll();
    expect(await Promise.all(results)).toEqual(['10', 'bad item', '20']);
    expect(runner.batches).toEqual([[1, -1, 2], [1], [-1], [2]]);
  });

  it('fails every item at once when the failure is not about the items', async () => {
    const runner = controlledRunner();
    const group = new GroupCommit(runner.run, {
      maxInFlight: 1,
      maxWeight: 100,
      weight: () => 1,
      isolateOnFailure: () => false,
    });
    const results = [1, -1, 2].map((i) => group.submit(i).then(String, (error: Error) => error.message));
    await tick();
    await runner.finishAll();
    expect(await Promise.all(results)).toEqual(['bad item', 'bad item', 'bad item']);
    expect(runner.batches).toEqual([[1, -1, 2]]);
  });
});
