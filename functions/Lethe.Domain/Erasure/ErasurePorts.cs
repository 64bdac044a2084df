using Lethe.Domain.Crypto;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure;

/// <summary>
/// The inventory's state moves of an erasure. Every move is a conditional write, so replays change nothing and restore and
/// purge can never race: restore needs <c>soft_deleted</c> and now &lt; purgeAt, purge needs <c>soft_deleted</c> and purgeAt ≤ now.
/// A port.
/// </summary>
public interface IErasureInventory
{
    /// <summary>A page of all the subject's items, in a stable order; the cursor is opaque.</summary>
    Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> PageAsync(string tenantId, string subjectRef, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The items as they are now, read from the base table with consistent reads (missing ones left out): what a step decides
    /// on, since an index page may be stale.
    /// </summary>
    Task<IReadOnlyList<InventoryItem>> CurrentAsync(string tenantId, IReadOnlyList<string> itemIds, CancellationToken cancellationToken);

    /// <summary>
    /// active → soft_deleted for the given items (records hidden in the same write), stamped with the job and purgeAt; an
    /// item restored from this job is left active. An item another erasure or a single delete left soft-deleted is taken
    /// over: it gets this job and purgeAt. Conditional per item, so a replay changes nothing.
    /// </summary>
    Task SoftDeleteAsync(string tenantId, IReadOnlyList<InventoryItem> items, string jobId, DateTimeOffset purgeAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// A single delete: one active record item → soft_deleted (the record hidden in the same write), stamped with
    /// <paramref name="jobId"/> and <paramref name="purgeAt"/>, in one transaction that also checks the subject's erasure lock
    /// (<see cref="Errors.ErasureInProgressException"/>) and hold marker (<see cref="LegalHoldException"/>). False when the item
    /// was not active any more (another delete, an erasure or the sweep moved it first).
    /// </summary>
    Task<bool> DeleteOneAsync(string tenantId, string subjectRef, InventoryItem item, string jobId, DateTimeOffset purgeAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// soft_deleted (due) → purging for items of one subject; returns the ids that are now purging (including ones a crashed
    /// run left purging). Each move is conditional on no legal hold naming the subject (in the same transaction): when one
    /// does, throws <see cref="LegalHoldException"/> and the items not yet moved stay.
    /// </summary>
    Task<IReadOnlySet<string>> BeginPurgeAsync(string tenantId, string subjectRef, IReadOnlyList<InventoryItem> items, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// soft_deleted (by <paramref name="jobId"/>, due) → purged for single table items, their data deleted in the same
    /// transaction: one guarded write per item, many items per transaction, each conditional on no legal hold naming the
    /// subject (when one does, throws <see cref="LegalHoldException"/> and nothing of that transaction is written). Items whose
    /// condition no longer holds are left as they are. Returns the ids purged now. A purged item leaves the subject index.
    /// </summary>
    Task<IReadOnlySet<string>> PurgeSingleTableItemsAsync(string tenantId, string subjectRef, string jobId, IReadOnlyList<InventoryItem> items, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="PurgeSingleTableItemsAsync"/> for records an erasure masks: each original's purge and its masked copy (a new
    /// record row and its inventory item, linked to no subject) in one transaction, so the copy exists exactly when the original
    /// is purged, and a replay (the original already purged) writes no second copy.
    /// </summary>
    Task<IReadOnlySet<string>> PurgeMaskedAsync(string tenantId, string subjectRef, string jobId, IReadOnlyList<(InventoryItem Item, StoredRecord Copy)> items, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// soft_deleted by <paramref name="jobId"/> → active again (the record visible in the same write), as if never hidden: what a
    /// retention run hid before a legal hold stopped it. Conditional per item; anything else is left as it is.
    /// </summary>
    Task UnhideAsync(string tenantId, IReadOnlyList<InventoryItem> items, string jobId, CancellationToken cancellationToken);

    /// <summary>purging → purged, with the number of object versions deleted; a purged item leaves the subject index.</summary>
    Task MarkPurgedAsync(string tenantId, IReadOnlyList<(string ItemId, long Versions)> items, string jobId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// soft_deleted → active while now &lt; purgeAt (the record visible again in the same write), remembering which erasure it
    /// was restored from (<see cref="InventoryItem.RestoredFrom"/>: that erasure keeps it as a survivor); false otherwise.
    /// </summary>
    Task<bool> RestoreAsync(string tenantId, string itemId, DateTimeOffset now, CancellationToken cancellationToken);

    Task<InventoryItem?> FindAsync(string tenantId, string itemId, CancellationToken cancellationToken);

    /// <summary>Soft-deleted items of the tenant whose recovery window has ended (purgeAt ≤ now), oldest first, up to a limit.</summary>
    Task<IReadOnlyList<InventoryItem>> DueAsync(string tenantId, DateTimeOffset now, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// What each soft-delete page hid for its erasure (and what each sweep page of the purge is about to purge), kept so the purge
/// reads these pages back instead of the subject's index (one read pass over the inventory per erasure). Pages are numbered
/// from 1 without gaps; a replayed page writes the same page again, and a soft-delete pass removes what an earlier pass wrote
/// beyond its last page. A port.
/// </summary>
public interface IErasureManifests
{
    Task WriteAsync(string tenantId, string jobId, long page, IReadOnlyList<InventoryItem> items, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// The items of page <paramref name="page"/>, or null when no such page was written. A page whose parts are not all there
    /// is an error, never a shorter page.
    /// </summary>
    Task<IReadOnlyList<InventoryItem>?> ReadAsync(string tenantId, string jobId, long page, CancellationToken cancellationToken);

    /// <summary>Removes the pages after <paramref name="lastPage"/>: what an earlier pass wrote beyond where this one ended.</summary>
    Task DeleteAfterAsync(string tenantId, string jobId, long lastPage, CancellationToken cancellationToken);

    /// <summary>Removes every page of the job (it completed); idempotent.</summary>
    Task DeleteAsync(string tenantId, string jobId, CancellationToken cancellationToken);
}

/// <summary>The outcome of deleting one item's data: how many object versions went, or why it failed after retries.</summary>
public sealed record PurgeOutcome(string ItemId, long Versions, string? Failure)
{
    public bool Succeeded => Failure is null;
}

/// <summary>
/// Deletes the data the items point to, in batches: every object version (≤ 1,000 keys per DeleteObjects), every table item
/// (≤ 25 per BatchWriteItem, unprocessed items retried with backoff). Data already gone counts as deleted. A port.
/// </summary>
public interface IDataPurger
{
    Task<IReadOnlyList<PurgeOutcome>> PurgeAsync(string tenantId, IReadOnlyList<InventoryItem> items, CancellationToken cancellationToken);
}

/// <summary>Re-seals what survives an erasure (restored or held records, the subject's directory entry) under a fresh KEK. A port.</summary>
public interface ISurvivorRewrapper
{
    /// <summary>Rewraps the sealed fields of the record behind <paramref name="item"/> from <paramref name="current"/> to <paramref name="fresh"/>; envelopes already under <paramref name="fresh"/> are left as they are.</summary>
    Task RewrapRecordAsync(string tenantId, string subjectRef, InventoryItem item, SubjectKek current, SubjectKek fresh, CancellationToken cancellationToken);

    /// <summary>Re-seals the subject's directory entry (its id) under <paramref name="fresh"/>.</summary>
    Task RewrapDirectoryAsync(string tenantId, string subjectRef, SubjectKek current, SubjectKek fresh, CancellationToken cancellationToken);
}

/// <summary>The subject's KEK lifecycle during erasure. A port (KMS + the Keys table).</summary>
public interface ISubjectKeyShredder
{
    /// <summary>
    /// Deletes the KEK and the subject's directory entry: nothing sealed under it can be read again. Idempotent: returns the id
    /// of the KEK destroyed (by this call or an earlier one, from a tombstone that holds no key material), or null if none existed.
    /// </summary>
    Task<string?> ShredAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    /// <summary>
    /// Starts replacing the KEK: returns the current one and a fresh one kept pending (the same pending key on a replay), or null
    /// when there is no KEK to replace (already replaced or never created).
    /// </summary>
    Task<(SubjectKek Current, SubjectKek Fresh)?> PrepareReplacementAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    /// <summary>Makes the pending KEK current and destroys the old one; returns the destroyed KEK's id (also on a replay).</summary>
    Task<string?> CommitReplacementAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);
}

/// <summary>Legal holds as erasure asks about them.</summary>
public interface IHoldCheck
{
    Task<bool> IsHeldAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);
}

/// <summary>
/// What masking needs of the records it keeps: each one opened (fields decrypted), the subject's id to redact, and why a record
/// could not be opened (by item id): such a record is neither masked nor purged now, but listed on the job for a retry.
/// </summary>
public sealed record MaskingInput(string? SubjectId, IReadOnlyList<RecordView> Records, IReadOnlyDictionary<string, string> Failures);

/// <summary>
/// Reads, before the purge, the records an erasure masks: opened with the subject's KEK (still there: the shred comes after the
/// purge). A record whose row is gone, or of another subject, is left out (there is nothing of this subject's to keep); one that
/// cannot be opened (its key refused, say) is named in the failures, so one record does not stop the page. A port.
/// </summary>
public interface IMaskingReader
{
    Task<MaskingInput> OpenAsync(Tenancy.Tenant tenant, string subjectRef, IReadOnlyList<string> recordIds, CancellationToken cancellationToken);
}
