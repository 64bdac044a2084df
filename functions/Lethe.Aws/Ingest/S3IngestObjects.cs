using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Domain.Ingest;

namespace Lethe.Aws.Ingest;

/// <summary>The ingest bucket (and its quarantine) through S3: HEAD for what landed, GET to read it, copy-then-delete to quarantine.</summary>
public sealed class S3IngestObjects(IAmazonS3 s3, string ingestBucket, string quarantineBucket) : IIngestObjects
{
    public async Task<LandedObject?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = ingestBucket, Key = key }, cancellationToken);
            return new LandedObject(key, head.ContentLength, head.Headers.ContentType, head.Metadata[S3UploadLinks.UploadIdMetadata] is { Length: > 0 } id ? id : null)
            {
                ETag = head.ETag,
                LandedAt = head.LastModified is { } stored ? new DateTimeOffset(DateTime.SpecifyKind(stored.ToUniversalTime(), DateTimeKind.Utc)) : null,
            };
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<Stream> OpenAsync(string key, string etag, CancellationToken cancellationToken)
    {
        try
        {
            var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = ingestBucket, Key = key, EtagToMatch = etag }, cancellationToken);
            if (!string.Equals(response.ETag, etag, StringComparison.Ordinal))
            {
                response.Dispose();
                throw new IngestObjectChangedException($"The object {key} was replaced after its scan: it is not read.");
            }

            return new OwnedStream(response.ResponseStream, response);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new IngestObjectMissingException($"The object {key} is not in the ingest bucket.");
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new IngestObjectChangedException($"The object {key} was replaced after its scan: it is not read.");
        }
    }

    public async Task QuarantineAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await s3.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = ingestBucket,
                SourceKey = key,
                DestinationBucket = quarantineBucket,
                DestinationKey = key,
                TagSet = [new Tag { Key = "lethe:quarantined", Value = "true" }],
                TaggingDirective = TaggingDirective.REPLACE,
            }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Moved by an earlier delivery of the same event: the copy is in quarantine, the original gone.
            if (!await ExistsAsync(quarantineBucket, key, cancellationToken))
            {
                throw new IngestObjectMissingException($"The object {key} is neither in the ingest bucket nor in quarantine.");
            }
        }

        await DeleteAsync(key, cancellationToken);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = ingestBucket, Key = key }, cancellationToken);

    private async Task<bool> ExistsAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>The response stream, disposing its response with it.</summary>
    private sealed class OwnedStream(Stream inner, IDisposable owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                owner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>
/// The AWS scanner port: GuardDuty Malware Protection for S3 scans each new object and tags it
/// <c>GuardDutyMalwareScanStatus</c> = <c>NO_THREATS_FOUND</c>, <c>THREATS_FOUND</c>, <c>UNSUPPORTED</c>, <c>ACCESS_DENIED</c> or
/// <c>FAILED</c>. No tag yet → <see cref="ScanPendingException"/> (the message comes back later); anything but no threats is not clean.
/// </summary>
public sealed class GuardDutyUploadScanner(IAmazonS3 s3, string ingestBucket) : IUploadScanner
{
    public const string StatusTag = "GuardDutyMalwareScanStatus";

    public async Task<ScanVerdict> ScanAsync(LandedObject landed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(landed);
        var tags = await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = ingestBucket, Key = landed.Key }, cancellationToken);
        var verdict = Verdict(tags.Tagging.FirstOrDefault(t => t.Key == StatusTag)?.Value)
            ?? throw new ScanPendingException($"GuardDuty has not tagged {landed.Key} yet.");
        // The tag belongs to the object it was read from: one replaced meanwhile is scanned (and its event delivered) anew.
        var after = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = ingestBucket, Key = landed.Key }, cancellationToken);
        return string.Equals(after.ETag, landed.ETag, StringComparison.Ordinal)
            ? verdict
            : throw new ScanPendingException($"{landed.Key} was replaced while its verdict was read.");
    }

    /// <summary>The verdict a tag value means; null when there is none yet.</summary>
    public static ScanVerdict? Verdict(string? status) => status switch
    {
        null or "" => null,
        "NO_THREATS_FOUND" => ScanVerdict.Clean,
        "THREATS_FOUND" => new ScanVerdict(ScanOutcome.Infected, "GuardDuty"),
        _ => new ScanVerdict(ScanOutcome.Unscannable, Reason: $"GuardDuty reported {status}"),
    };
}
