import { afterAll, afterEach } from '@jest/globals';
import nock from 'nock';

// Tests never reach the outside world: only loopback (the app under test, the local
// S3 server, stub servers) is allowed. Third-party HTTP is stubbed with nock.
nock.disableNetConnect();
nock.enableNetConnect((host) => /^(127\.0\.0\.1|localhost|\[::1\]|::1)(:\d+)?$/.test(host));

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.restore();
});
