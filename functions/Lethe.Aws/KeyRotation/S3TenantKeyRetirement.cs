using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Domain.KeyRotation;

namespace Lethe.Aws.KeyRotation;

/// <summary>
/// Whether a tenant's old key still seals stored objects (every version under the tenant's prefix in the data and exports
/// buckets: S3 keeps each object's data key under the key it was written with), and its scheduled deletion.
/// </summary>
public sealed class S3TenantKeyRetirement(IAmazonS3 s3, IAmazonKeyManagementService kms, IReadOnlyList<string> buckets) : ITenantKeyRetirement
{
    /// <summary>The longest waiting period KMS allows: an administrator can still cancel a mistake.</summary>
    public const int PendingWindowDays = 30;

    public async Task<long> ObjectsUnderAsync(string tenantId, string keyArn, CancellationToken cancellationToken)
    {
        long under = 0;
        foreach (var bucket in buckets)
        {
            string? keyMarker = null, versionMarker = null;
            bool more;
            do
            {
                var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = $"{tenantId}/", KeyMarker = keyMarker, VersionIdMarker = versionMarker }, cancellationToken);
                foreach (var version in (page.Versions ?? []).Where(v => v.IsDeleteMarker != true))
                {
                    var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = version.Key, VersionId = version.VersionId }, cancellationToken);
                    if (IsKey(head.ServerSideEncryptionKeyManagementServiceKeyId, keyArn))
                    {
                        under++;
                    }
                }

                more = page.IsTruncated == true;
                (keyMarker, versionMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
            }
            while (more);
        }

        return under;
    }

    /// <summary>By key id (a platform key is in Lethe's own account; moto 5.2.1 schedules by id only).</summary>
    public Task ScheduleDeletionAsync(string keyArn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyArn);
        return kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyArn[(keyArn.LastIndexOf('/') + 1)..], PendingWindowInDays = PendingWindowDays }, cancellationToken);
    }

    /// <summary>S3 reports the key as its ARN (or, for some writers, its id): either names it.</summary>
    private static bool IsKey(string? reported, string keyArn) =>
        reported is { Length: > 0 } && (reported == keyArn || keyArn.EndsWith($"/{reported}", StringComparison.Ordinal));
}
