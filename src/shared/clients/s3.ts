import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface S3Settings {
  region: string;
  bucket: string;
  /** An S3-compatible server (MinIO, s3rver); absent: AWS S3. */
  endpoint?: string | undefined;
  forcePathStyle?: boolean;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** DeleteObjects takes at most 1000 keys; smaller in tests to exercise paging. */
  deleteBatchSize?: number;
}

export interface PresignedUpload {
  url: string;
  /** Form fields to send before the file, signature included: never log them. */
  fields: Record<string, string>;
  expiresAt: Date;
}

export interface PresignedDownload {
  /** Carries a signature in its query: never log it. */
  url: string;
  expiresAt: Date;
}

export interface StoredObject {
  size: number;
  contentType: string | undefined;
}

const MAX_DELETE_BATCH = 1000;

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * The user-images bucket (docs/resources.md#photos): presigned uploads and downloads, and the
 * few calls the API and worker make themselves. Credentials come from the SDK's
 * default chain (environment, IAM role). Errors other than "not found" are thrown for
 * the caller to turn into a 503 (API) or a retry (worker); the SDK's own retries stay
 * on, they are quick and cover a dropped connection.
 */
export class S3Storage {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly deleteBatchSize: number;

  constructor(settings: S3Settings) {
    this.bucket = settings.bucket;
    this.deleteBatchSize = Math.min(settings.deleteBatchSize ?? MAX_DELETE_BATCH, MAX_DELETE_BATCH);
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle ?? false,
      // Checksums only where S3 requires them: S3-compatible servers (MinIO, s3rver)
      // do not all understand the SDK's newer default checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without a connection timeout a black-holed endpoint hangs a request forever.
      requestHandler: {
        connectionTimeout: settings.connectionTimeoutMs ?? 3000,
        requestTimeout: settings.requestTimeoutMs ?? 15_000,
      },
    });
  }

  /**
   * A browser-style form upload for exactly this key, type and size range (docs/resources.md#photos).
   * The expiry is read back from the signed policy, so `expiresAt` is what S3 enforces.
   */
  async presignUpload(input: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedUpload> {
    const { url, fields } = await createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: input.key,
      Fields: { 'Content-Type': input.contentType },
      Conditions: [
        ['eq', '$Content-Type', input.contentType],
        ['content-length-range', 1, input.maxBytes],
        ['eq', '$key', input.key],
      ],
      Expires: input.expiresInSeconds,
    });
    const policy = JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString('utf8')) as {
      expiration: string;
    };
    return { url, fields, expiresAt: new Date(policy.expiration) };
  }

  /** A GET URL valid for `expiresInSeconds` from the start of the current second. */
  async presignDownload(key: string, expiresInSeconds: number): Promise<PresignedDownload> {
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
      signingDate,
    });
    return { url, expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000) };
  }

  /** Size and type of an object; undefined when there is none. */
  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0, contentType: head.ContentType };
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** The first `length` bytes of an object (fewer if it is shorter), to check what it really is. */
  async readStart(key: string, length: number): Promise<Uint8Array> {
    const object = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${length - 1}` }),
    );
    return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  }

  /** A whole object (the worker's photo processing); undefined when there is none. */
  async getObject(key: string): Promise<Uint8Array | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      if (httpStatusOf(error) === 404 || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /** Writes an object the service made itself (a processed photo). */
  async putObject(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  /** Idempotent: deleting a key that is not there succeeds. */
  async deleteObject(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * Deletes every object under `prefix`, a batch at a time, and returns how many went.
   * Lists from the start each round (what was deleted is gone from the listing), so a
   * re-run after a failure simply finds less to do.
   */
  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith('/')) throw new Error('A deletion prefix must end with "/"');
    let deleted = 0;
    for (;;) {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: this.deleteBatchSize }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      if (keys.length > 0) {
        const result = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = result.Errors ?? [];
        if (failed.length > 0)
          throw new Error(
            `S3 kept ${failed.length} object(s) under the prefix: ${failed[0]?.Code ?? 'unknown'} ${failed[0]?.Message ?? ''}`.trim(),
          );
        deleted += keys.length;
      }
      if (!page.IsTruncated || keys.length === 0) return deleted;
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

export function s3FromConfig(config: {
  AWS_REGION: string;
  USER_IMAGES_BUCKET: string;
  S3_ENDPOINT?: string | undefined;
  S3_FORCE_PATH_STYLE: boolean;
}): S3Storage {
  return new S3Storage({
    region: config.AWS_REGION,
    bucket: config.USER_IMAGES_BUCKET,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  });
}
