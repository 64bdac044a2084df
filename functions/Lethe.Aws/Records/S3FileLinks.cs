using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Domain.Records;

namespace Lethe.Aws.Records;

/// <summary>Presigned GET URLs for a subject's stored files (a retrieved archived file's download), saved under the file's own name.</summary>
public sealed class S3FileLinks(IAmazonS3 s3, Func<string, string> bucketName)
{
    public Task<string> PresignAsync(InventoryItem file, string fileName, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        cancellationToken.ThrowIfCancellationRequested();
        var request = new GetPreSignedUrlRequest
        {
            BucketName = bucketName(file.Location["bucket"]),
            Key = file.Location["key"],
            Verb = HttpVerb.GET,
            // The SDK presigns https unless told; the local cloud's endpoint is plain http.
            Protocol = s3.Config.ServiceURL is { } endpoint && endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Amazon.S3.Protocol.HTTP : Amazon.S3.Protocol.HTTPS,
            // The SDK rounds the lifetime up to whole seconds: a second less keeps the URL inside its lifetime.
            Expires = expires.UtcDateTime.AddSeconds(-1),
        };
        request.ResponseHeaderOverrides.ContentDisposition = $"attachment; filename=\"{SafeName(fileName)}\"";
        return s3.GetPreSignedURLAsync(request);
    }

    /// <summary>A file name fit for a quoted header value: printable ASCII without quotes or separators.</summary>
    private static string SafeName(string name)
    {
        var kept = new string(name.Where(c => c is >= ' ' and <= '~' and not ('"' or '\\' or '/' or ';')).ToArray()).Trim();
        return kept.Length == 0 ? "file" : kept[..Math.Min(kept.Length, 200)];
    }
}
