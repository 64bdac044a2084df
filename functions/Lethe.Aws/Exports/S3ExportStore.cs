using System.Buffers;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Domain.Exports;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Exports;

/// <summary>
/// Export volumes in the exports bucket (expiring after 7 days by its lifecycle rule; the API enforces the link's expiry itself),
/// SSE-KMS under the tenant key, at <c>{tenant}/{jobId}/part-{n}.{zip|json}</c>: a replayed volume is written again under the same key.
/// </summary>
public sealed class S3ExportStore(IAmazonS3 s3, string exportsBucket) : IExportStore
{
    /// <summary>S3 parts are at least 5 MiB (but the last); 8 MiB keeps memory flat and allows exports up to 80 GB per volume.</summary>
    public const int PartSize = 8 * 1024 * 1024;

    public string Bucket => exportsBucket;

    public static string KeyFor(string tenantId, string jobId, int volume, ExportFormat format) =>
        $"{tenantId}/{jobId}/part-{volume:D4}.{ExportFormats.Extension(format)}";

    /// <summary>A GET URL for one volume, valid until <paramref name="expires"/>, that saves as a named file.</summary>
    public Task<string> PresignAsync(string tenantId, string jobId, int volume, ExportFormat format, DateTimeOffset expires, CancellationToken cancellationToken) =>
        IO.PresignedDownloads.GetAsync(s3, exportsBucket, KeyFor(tenantId, jobId, volume, format),
            $"lethe-export-{jobId}-part-{volume}.{ExportFormats.Extension(format)}", expires, cancellationToken);

    public async Task<IExportUpload> BeginAsync(Tenant tenant, string jobId, int volume, ExportFormat format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var key = KeyFor(tenant.Id, jobId, volume, format);
        var started = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = exportsBucket,
            Key = key,
            ContentType = ExportFormats.ContentType(format),
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = tenant.SealingKeyArn,
        }, cancellationToken);
        return new MultipartUpload(s3, exportsBucket, key, started.UploadId);
    }

    public async Task DiscardAsync(string tenantId, string jobId, int volume, ExportFormat format, CancellationToken cancellationToken)
    {
        var key = KeyFor(tenantId, jobId, volume, format);
        var listed = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = exportsBucket, Prefix = key }, cancellationToken);
        var versions = (listed.Versions ?? []).Where(v => v.Key == key).Select(v => new KeyVersion { Key = key, VersionId = v.VersionId }).ToList();
        if (versions.Count > 0)
        {
            await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = exportsBucket, Objects = versions, Quiet = true }, cancellationToken);
        }
    }

    /// <summary>A stream into an S3 multipart upload: one part buffered at a time, uploaded when full; aborted unless completed.</summary>
    private sealed class MultipartUpload(IAmazonS3 s3, string bucket, string key, string uploadId) : Stream, IExportUpload
    {
        private readonly List<PartETag> _parts = [];
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(PartSize);
        private int _filled;
        private long _written;
        private bool _completed;

        public Stream Content => this;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written;

        public override long Position
        {
            get => _written;
            set => throw new NotSupportedException();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (buffer.Length > 0)
            {
                var take = Math.Min(buffer.Length, PartSize - Math.Min(_filled, PartSize));
                if (take == 0)
                {
                    await UploadPartAsync(cancellationToken);
                    continue;
                }

                Append(buffer.Span[..take]);
                buffer = buffer[take..];
                if (_filled >= PartSize)
                {
                    await UploadPartAsync(cancellationToken);
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        /// <summary>
        /// Synchronous writes (the ZIP writer's small headers) only buffer: the buffer may grow past one part, and the next
        /// asynchronous write uploads it. Nothing here blocks on the network.
        /// </summary>
        public override void Write(byte[] buffer, int offset, int count) => Append(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => Append(buffer);

        public async Task CompleteAsync(CancellationToken cancellationToken)
        {
            if (_filled > 0 || _parts.Count == 0)
            {
                await UploadPartAsync(cancellationToken);
            }

            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = _parts }, cancellationToken);
            _completed = true;
        }

        public override async ValueTask DisposeAsync()
        {
            if (!_completed)
            {
                // An incomplete volume must not linger half-written (and billed): abort it. Best effort; the bucket's rule also aborts.
                try
                {
                    await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, CancellationToken.None);
                }
                catch (AmazonS3Exception)
                {
                }
            }

            ReturnBuffer();
            await base.DisposeAsync();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                ReturnBuffer();
            }

            base.Dispose(disposing);
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private void Append(ReadOnlySpan<byte> data)
        {
            if (_filled + data.Length > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _filled + data.Length));
                _buffer.AsSpan(0, _filled).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            data.CopyTo(_buffer.AsSpan(_filled));
            _filled += data.Length;
            _written += data.Length;
        }

        private async Task UploadPartAsync(CancellationToken cancellationToken)
        {
            var number = _parts.Count + 1;
            using var body = new MemoryStream(_buffer, 0, _filled, writable: false);
            var uploaded = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                InputStream = body,
                PartSize = _filled,
            }, cancellationToken);
            _parts.Add(new PartETag(number, uploaded.ETag));
            _filled = 0;
        }

        private void ReturnBuffer()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }
    }
}
