using Lethe.Aws.Erasure;
using Lethe.Catalog;
using Lethe.Domain.BackupScrub;
using Lethe.Domain.Records;

namespace Lethe.Aws.BackupScrub;

/// <summary>
/// Scrubs purged keys through the purge's own object deletion (<see cref="StorePurger"/>: every version and delete marker, an
/// archived object still pointed at by live items kept): once in Lethe's buckets, and once more in the data bucket's replica
/// when one is configured (S3 replication never carries a version delete, so a replica keeps every copy until deleted there).
/// </summary>
public sealed class S3ObjectScrubber(StorePurger primary, StorePurger? replica) : IObjectScrubber
{
    public bool HasReplica => replica is not null;

    public async Task<ObjectScrubOutcome> ScrubAsync(string tenantId, IReadOnlyList<InventoryItem> purged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(purged);
        // Table items have no versions: what is left of them is in the PITR window, which the scrub waits out.
        var objects = purged.Where(i => i.Store == "s3").ToList();
        if (objects.Count == 0)
        {
            return new ObjectScrubOutcome(0, 0, 0, []);
        }

        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        var versions = Tally(await primary.PurgeAsync(tenantId, objects, cancellationToken), failed, where: null);
        long replicaVersions = 0;
        var replicated = objects.Where(i => i.Location.GetValueOrDefault("bucket") == ResourceCatalog.Data.LogicalName).ToList();
        if (replica is not null && replicated.Count > 0)
        {
            replicaVersions = Tally(await replica.PurgeAsync(tenantId, replicated, cancellationToken), failed, where: "replica");
        }

        return new ObjectScrubOutcome(objects.Count(o => !failed.ContainsKey(o.ItemId)), versions, replicaVersions, failed.Select(f => (f.Key, f.Value)).ToList());
    }

    private static long Tally(IReadOnlyList<Domain.Erasure.PurgeOutcome> outcomes, Dictionary<string, string> failed, string? where)
    {
        foreach (var outcome in outcomes.Where(o => o.Failure is not null))
        {
            failed[outcome.ItemId] = where is null ? outcome.Failure! : $"{where}: {outcome.Failure}";
        }

        return outcomes.Sum(o => o.Versions);
    }
}
