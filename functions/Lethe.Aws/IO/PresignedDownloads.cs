using Amazon.S3;
using Amazon.S3.Model;

namespace Lethe.Aws.IO;

/// <summary>The one way Lethe presigns a download: a GET of one object, valid until a moment, saved under a given name.</summary>
public static class PresignedDownloads
{
    /// <param name="fileName">Already fit for a quoted header value.</param>
    public static Task<string> GetAsync(IAmazonS3 s3, string bucket, string key, string fileName, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(s3);
        cancellationToken.ThrowIfCancellationRequested();
        var request = new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = key,
            Verb = HttpVerb.GET,
            // The SDK presigns https unless told; the local cloud's endpoint is plain http.
            Protocol = s3.Config.ServiceURL is { } endpoint && endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Amazon.S3.Protocol.HTTP : Amazon.S3.Protocol.HTTPS,
            // The SDK rounds the lifetime up to whole seconds: a second less keeps the URL inside its lifetime ("at most 5 minutes").
            Expires = expires.UtcDateTime.AddSeconds(-1),
        };
        request.ResponseHeaderOverrides.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        return s3.GetPreSignedURLAsync(request);
    }
}
