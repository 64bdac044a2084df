using Amazon.S3;
using Lethe.Domain.Records;

namespace Lethe.Aws.Records;

/// <summary>Presigned GET URLs for a subject's stored files (a retrieved archived file's download), saved under the file's own name.</summary>
public sealed class S3FileLinks(IAmazonS3 s3, Func<string, string> bucketName)
{
    public Task<string> PresignAsync(InventoryItem file, string fileName, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        return IO.PresignedDownloads.GetAsync(s3, bucketName(file.Location["bucket"]), file.Location["key"], SafeName(fileName), expires, cancellationToken);
    }

    /// <summary>A file name fit for a quoted header value: printable ASCII without quotes or separators.</summary>
    private static string SafeName(string name)
    {
        var kept = new string(name.Where(c => c is >= ' ' and <= '~' and not ('"' or '\\' or '/' or ';')).ToArray()).Trim();
        return kept.Length == 0 ? "file" : kept[..Math.Min(kept.Length, 200)];
    }
}
