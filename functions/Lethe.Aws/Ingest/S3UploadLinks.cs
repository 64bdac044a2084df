using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Domain.Ingest;

namespace Lethe.Aws.Ingest;

/// <summary>
/// Presigned PUTs into the ingest bucket under <c>{tenant}/{uploadId}</c>, with the declared content type signed (a different
/// one is refused by S3) and the upload id as object metadata; the size is checked when the object lands (a presigned PUT
/// cannot carry a length condition), against the upload's declaration.
/// </summary>
public sealed class S3UploadLinks(IAmazonS3 s3, string ingestBucket) : IUploadLinks
{
    public const string UploadIdMetadata = "x-amz-meta-lethe-upload";

    public async Task<PresignedUpload> PresignPutAsync(Upload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        cancellationToken.ThrowIfCancellationRequested();
        var request = new GetPreSignedUrlRequest
        {
            BucketName = ingestBucket,
            Key = UploadRules.ObjectKey(upload.TenantId, upload.Id),
            Verb = HttpVerb.PUT,
            ContentType = upload.Declared.ContentType,
            Protocol = s3.Config.ServiceURL is { } endpoint && endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Amazon.S3.Protocol.HTTP : Amazon.S3.Protocol.HTTPS,
            // The SDK rounds the lifetime up to whole seconds: a second less keeps the URL inside its lifetime.
            Expires = upload.ExpiresAt.UtcDateTime.AddSeconds(-1),
        };
        request.Metadata.Add("lethe-upload", upload.Id);
        var url = await s3.GetPreSignedURLAsync(request);
        return new PresignedUpload(url, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Content-Type"] = upload.Declared.ContentType,
            [UploadIdMetadata] = upload.Id,
        }, upload.ExpiresAt);
    }
}
