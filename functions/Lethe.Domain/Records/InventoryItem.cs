namespace Lethe.Domain.Records;

/// <summary>
/// One entry of the inventory: every stored thing of a tenant, with where it is, what state it is in and what decides its
/// end (its retention date; once hidden, until when it may be restored and which erasure hid it). The listing, the erasure
/// and the sweep all read it in this one shape.
/// </summary>
public sealed record InventoryItem(
    string ItemId,
    string Kind,
    string Category,
    ItemState State,
    IReadOnlyDictionary<string, string> Location,
    DateTimeOffset? PurgeAt = null,
    string? ErasureJobId = null,
    bool Encrypted = false,
    long VersionsDeleted = 0,
    string? SubjectRef = null,
    string? RestoredFrom = null,
    string? Classification = null,
    string? Visibility = null,
    DateTimeOffset? RetainUntil = null,
    string? PurgedBy = null)
{
    /// <summary>An archived item's end: when its archive period is over and the retention sweep purges it.</summary>
    public DateTimeOffset? ArchivedUntil { get; init; }

    /// <summary>When a purged item was purged (its tombstone's time).</summary>
    public DateTimeOffset? PurgedAt { get; init; }

    /// <summary>The retention sweep run that archived the item.</summary>
    public string? ArchivedBy { get; init; }

    /// <summary>A file's own name (files only).</summary>
    public string? FileName { get; init; }

    /// <summary>An archived item that a retrieval made readable: until when, and which retrieval.</summary>
    public DateTimeOffset? RetrievedUntil { get; init; }

    public string? RetrievedBy { get; init; }

    /// <summary>A hidden item's state before it was hidden (archived ones return to the archive, not to active).</summary>
    public ItemState? HiddenFrom { get; init; }

    /// <summary>A purged record an erasure masked: a copy without PII or subject link was written with its purge.</summary>
    public bool Masked { get; init; }

    public bool IsDue(DateTimeOffset now) => State == ItemState.SoftDeleted && PurgeAt is { } at && at <= now;

    /// <summary>Where the item's data is: <c>dynamodb</c> or <c>s3</c>.</summary>
    public string Store => Location.TryGetValue("store", out var store) ? store : "unknown";

    /// <summary>
    /// One table item and nothing else (no history to look up, no object versions): its data can be deleted in the same
    /// transaction that marks it purged.
    /// </summary>
    public bool IsSingleTableItem => Store == "dynamodb" && Location.ContainsKey("table") && Location.ContainsKey("key") && !Location.ContainsKey("historyPrefix");
}
