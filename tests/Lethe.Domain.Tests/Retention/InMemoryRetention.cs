using Lethe.Domain.Records;
using Lethe.Domain.Retention;
using Lethe.Domain.Tests.Erasure;

namespace Lethe.Domain.Tests.Retention;

/// <summary>
/// The archive over the erasure fakes' inventory: active items move to archived (until the batch's end) unless their subject is
/// held; <see cref="Failing"/> names items whose archive fails; every batch is kept for the test to read.
/// </summary>
public sealed class InMemoryArchiver(InMemoryErasureInventory inventory, InMemoryHolds holds) : IRetentionArchiver
{
    public List<ArchiveBatch> Batches { get; } = [];

    public HashSet<string> Failing { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs once after the next batch's moves (a crash after the writes).</summary>
    public Action? AfterNextArchive { get; set; }

    public async Task<ArchiveOutcome> ArchiveAsync(ArchiveBatch batch, CancellationToken cancellationToken)
    {
        Batches.Add(batch);
        if (await holds.IsHeldAsync(batch.Tenant.Id, batch.SubjectRef, cancellationToken))
        {
            throw new Lethe.Domain.Erasure.LegalHoldException("held");
        }

        var archived = new List<string>();
        var failed = new List<(string, string)>();
        foreach (var item in batch.Items)
        {
            if (Failing.Contains(item.ItemId))
            {
                failed.Add((item.ItemId, "S3 refused the tag."));
            }
            else if (inventory.Truth[item.ItemId].State == ItemState.Active)
            {
                inventory.Truth[item.ItemId] = inventory.Truth[item.ItemId] with { State = ItemState.Archived, ArchivedUntil = batch.ArchivedUntil, ArchivedBy = batch.JobId };
                archived.Add(item.ItemId);
            }
        }

        var after = AfterNextArchive;
        AfterNextArchive = null;
        after?.Invoke();
        return new ArchiveOutcome(archived, failed);
    }
}

/// <summary>
/// The byExpiry index and the KEKs as the retention sweep sees them, over the erasure fakes' inventory: due items in id order
/// (the cursor is a position), deferred ones hidden from the run that deferred them, KEKs shredded unless written to lately.
/// </summary>
public sealed class InMemoryRetention(InMemoryErasureInventory inventory) : IRetentionInventory, IRetentionKeyShredder
{
    private readonly Dictionary<string, DateTimeOffset> _deferredBy = new(StringComparer.Ordinal);

    public HashSet<string> Keks { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, DateTimeOffset> LastWrite { get; } = new(StringComparer.Ordinal);

    public List<string> Deferred { get; } = [];

    public DateTimeOffset? CompletedThrough { get; private set; }

    public Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> DuePageAsync(string tenantId, DateTimeOffset asOf, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var due = inventory.Truth.Values
            .Where(i => (i.State is ItemState.Active or ItemState.Purging or ItemState.SoftDeleted && i.RetainUntil is { } until && until <= asOf)
                || (i.State == ItemState.Archived && i.ArchivedUntil is { } end && end <= asOf))
            .Where(i => !_deferredBy.TryGetValue(i.ItemId, out var by) || by < asOf)
            .OrderBy(i => i.ItemId, StringComparer.Ordinal)
            .Where(i => cursor is null || string.CompareOrdinal(i.ItemId, cursor) > 0)
            .Take(limit + 1)
            .ToList();
        var page = due.Take(limit).ToList();
        return Task.FromResult<(IReadOnlyList<InventoryItem>, string?)>((page, due.Count > limit ? page[^1].ItemId : null));
    }

    public Task DeferAsync(string tenantId, IReadOnlyList<InventoryItem> items, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        foreach (var item in items.Where(i => inventory.Truth[i.ItemId].State is ItemState.Active or ItemState.Purging or ItemState.SoftDeleted or ItemState.Archived))
        {
            _deferredBy[item.ItemId] = asOf;
            Deferred.Add(item.ItemId);
        }

        return Task.CompletedTask;
    }

    public Task<bool> HasItemsLeftAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) =>
        Task.FromResult(inventory.Truth.Values.Any(i => i.SubjectRef == subjectRef && i.State != ItemState.Purged));

    public Task CompleteThroughAsync(string tenantId, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        CompletedThrough = asOf;
        return Task.CompletedTask;
    }

    public Task<string?> ShredIfQuietAsync(string tenantId, string subjectRef, DateTimeOffset quietSince, CancellationToken cancellationToken)
    {
        if (!Keks.Contains(subjectRef) || (LastWrite.TryGetValue(subjectRef, out var written) && written >= quietSince))
        {
            return Task.FromResult<string?>(null);
        }

        Keks.Remove(subjectRef);
        return Task.FromResult<string?>($"kek-{subjectRef}");
    }
}
