#!/bin/sh
# One-shot helper for docker-compose.yml (service `minio-create-bucket`, image minio/mc):
# waits for the local MinIO, then creates the user-images bucket if it does not exist.
# The bucket stays private: the app hands out presigned URLs only.
set -eu

: "${MINIO_ENDPOINT:=http://minio:9000}"
: "${MINIO_ROOT_USER:?MINIO_ROOT_USER is required}"
: "${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is required}"
: "${USER_IMAGES_BUCKET:?USER_IMAGES_BUCKET is required}"

attempt=1
until mc alias set dev "$MINIO_ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do
  if [ "$attempt" -ge 30 ]; then
    echo "MinIO at $MINIO_ENDPOINT did not answer after $attempt attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

mc mb --ignore-existing "dev/$USER_IMAGES_BUCKET"
mc anonymous set none "dev/$USER_IMAGES_BUCKET"
echo "bucket $USER_IMAGES_BUCKET ready"
