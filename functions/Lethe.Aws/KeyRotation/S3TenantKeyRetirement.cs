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

    public async Task<bool> AnyObjectNotUnderAsync(string tenantId, string targetKeyArn, CancellationToken cancellationToken)
    {
        try
        {
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
                        // Fail closed: an object S3 does not say is under the target may need the old key.
                        if (!IsKey(head.ServerSideEncryptionKeyManagementServiceKeyId, targetKeyArn))
                        {
                            return true;
                        }
                    }

                    more = page.IsTruncated == true;
                    (keyMarker, versionMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
                }
                while (more);
            }

            return false;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "SlowDown" or "InternalError" or "ServiceUnavailable")
        {
            throw new Lethe.Domain.Errors.TransientException($"S3 answered {ex.ErrorCode} while the objects of tenant {tenantId} were looked at.", ex);
        }
    }

    /// <summary>By key id (a platform key is in Lethe's own account; moto 5.2.1 schedules by id only).</summary>
    public async Task ScheduleDeletionAsync(string keyArn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyArn);
        var keyId = keyArn[(keyArn.LastIndexOf('/') + 1)..];
        try
        {
            await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = PendingWindowDays }, cancellationToken);
        }
        catch (KMSInvalidStateException)
        {
            // Scheduled already (a replay of the step) is done; any other state is the error it was.
            if ((await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }, cancellationToken)).KeyMetadata.KeyState != KeyState.PendingDeletion)
            {
                throw;
            }
        }
    }

    /// <summary>S3 reports the key as its ARN (or, for some writers, its id): either names it.</summary>
    private static bool IsKey(string? reported, string keyArn) =>
        reported is { Length: > 0 } && (reported == keyArn || keyArn.EndsWith($"/{reported}", StringComparison.Ordinal));
}
