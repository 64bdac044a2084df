using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>What one purge page earned for the certificate: purged items by category and store, and the versions deleted.</summary>
internal sealed class PageTally
{
    private readonly Dictionary<string, long> _byCategory = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _byStore = new(StringComparer.Ordinal);
    private long _items;
    private long _versions;

    private long _masked;

    /// <summary>An item purged (or, when <see cref="InventoryItem.Masked"/>, masked: counted apart and in no other tally).</summary>
    public void Purged(InventoryItem item, long versions)
    {
        if (item.Masked)
        {
            _masked++;
            return;
        }

        _items++;
        _versions += versions;
        _byCategory[item.Category] = _byCategory.GetValueOrDefault(item.Category) + 1;
        _byStore[item.Store] = _byStore.GetValueOrDefault(item.Store) + 1;
    }

    public ErasureCounts Counts => ErasureCounts.None with
    {
        Purged = _items,
        PurgedByCategory = _byCategory,
        PurgedByStore = _byStore,
        VersionsDeleted = _versions,
        Masked = _masked,
    };
}
