using System.Security.Cryptography;
using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Crypto;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Tests.Erasure;

/// <summary>
/// The inventory in memory: <see cref="Truth"/> is the base table; pages come from an index copy that only catches up when
/// <see cref="SyncIndex"/> is called, so a test can serve a stale page as DynamoDB's eventually consistent index may.
/// </summary>
public sealed class InMemoryErasureInventory : IErasureInventory
{
    private List<InventoryItem> _index = [];

    public Dictionary<string, InventoryItem> Truth { get; } = new(StringComparer.Ordinal);

    public void Add(InventoryItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Truth[item.ItemId] = item;
        SyncIndex();
    }

    /// <summary>The index catches up with the base table (purged items leave it, as they leave <c>bySubject</c>).</summary>
    public void SyncIndex() => _index = Truth.Values.Where(i => i.State != ItemState.Purged).OrderBy(i => i.ItemId, StringComparer.Ordinal).ToList();

    public bool SyncOnEveryWrite { get; set; } = true;

    public Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> PageAsync(string tenantId, string subjectRef, string? cursor, int limit, CancellationToken cancellationToken)
    {
        // A page costs what it holds (one more item tells whether another page follows), as a DynamoDB page does.
        var start = cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
        var page = _index.Where(i => i.SubjectRef == subjectRef).Skip(start).Take(limit + 1).ToList();
        var next = page.Count > limit ? (start + limit).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return Task.FromResult<(IReadOnlyList<InventoryItem>, string?)>((page.Take(limit).ToList(), next));
    }

    public Task<IReadOnlyList<InventoryItem>> CurrentAsync(string tenantId, IReadOnlyList<string> itemIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<InventoryItem>>(itemIds.Where(Truth.ContainsKey).Select(id => Truth[id]).ToList());

    /// <summary>The holds the move to purging is conditional on (as the Dynamo inventory's transaction checks the subject's hold marker).</summary>
    public InMemoryHolds? Holds { get; set; }

    /// <summary>Runs just before the next move to purging is written: a test places a hold there, after the step's own check.</summary>
    public Action? BeforeNextPurgeWrite { get; set; }

    public Task SoftDeleteAsync(string tenantId, IReadOnlyList<InventoryItem> items, string jobId, DateTimeOffset purgeAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var item in items.Where(i => ErasureItems.IsToHide(Truth[i.ItemId], jobId)))
        {
            var current = Truth[item.ItemId];
            Truth[item.ItemId] = current with
            {
                State = ItemState.SoftDeleted, PurgeAt = purgeAt, ErasureJobId = jobId, HiddenFrom = current.State == ItemState.Archived ? ItemState.Archived : current.HiddenFrom,
            };
        }

        return Written();
    }

    /// <summary>The subjects whose erasure lock or legal hold stands, as a single delete's transaction would find them.</summary>
    public HashSet<string> LockedSubjects { get; } = new(StringComparer.Ordinal);

    public HashSet<string> HeldSubjects { get; } = new(StringComparer.Ordinal);

    public Task<bool> DeleteOneAsync(string tenantId, string subjectRef, InventoryItem item, string jobId, DateTimeOffset purgeAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (LockedSubjects.Contains(subjectRef))
        {
            throw new Lethe.Domain.Errors.ErasureInProgressException(null);
        }

        if (HeldSubjects.Contains(subjectRef))
        {
            throw new LegalHoldException("held");
        }

        if (!Truth.TryGetValue(item.ItemId, out var current) || current.State != ItemState.Active || current.SubjectRef != subjectRef)
        {
            return Task.FromResult(false);
        }

        Truth[item.ItemId] = current with { State = ItemState.SoftDeleted, PurgeAt = purgeAt, ErasureJobId = jobId };
        return Task.FromResult(true);
    }

    /// <summary>Where the single table items' data "deletions" are recorded (the purger's list, so a test sees every deletion).</summary>
    public InMemoryPurger? Data { get; set; }

    public Task<IReadOnlySet<string>> PurgeSingleTableItemsAsync(string tenantId, string subjectRef, string jobId, IReadOnlyList<InventoryItem> items, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = BeforeNextPurgeWrite;
        BeforeNextPurgeWrite = null;
        before?.Invoke();
        if (items.Count > 0 && Holds?.HeldSubjects.Contains(subjectRef) == true)
        {
            throw new LegalHoldException("A legal hold names the subject.");
        }

        var purged = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var current = Truth[item.ItemId];
            if (current.IsDue(now) && current.ErasureJobId == jobId)
            {
                Truth[item.ItemId] = current with { State = ItemState.Purged, VersionsDeleted = 0, PurgedBy = jobId };
                Data?.Purged.Add(item.ItemId);
                purged.Add(item.ItemId);
            }
        }

        Written();
        return Task.FromResult<IReadOnlySet<string>>(purged);
    }

    /// <summary>The masked copies written with their originals' purges, by the original's id.</summary>
    public Dictionary<string, StoredRecord> MaskedCopies { get; } = new(StringComparer.Ordinal);

    public async Task<IReadOnlySet<string>> PurgeMaskedAsync(
        string tenantId, string subjectRef, string jobId, IReadOnlyList<(InventoryItem Item, StoredRecord Copy)> items, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var purged = await PurgeSingleTableItemsAsync(tenantId, subjectRef, jobId, items.Select(i => i.Item).ToList(), now, cancellationToken);
        foreach (var (item, copy) in items.Where(i => purged.Contains(i.Item.ItemId)))
        {
            MaskedCopies[item.ItemId] = copy;
            Truth[item.ItemId] = Truth[item.ItemId] with { Masked = true };
        }

        return purged;
    }

    public Task<IReadOnlySet<string>> BeginPurgeAsync(string tenantId, string subjectRef, IReadOnlyList<InventoryItem> items, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = BeforeNextPurgeWrite;
        BeforeNextPurgeWrite = null;
        before?.Invoke();
        if (items.Count > 0 && Holds?.HeldSubjects.Contains(subjectRef) == true)
        {
            throw new LegalHoldException("A legal hold names the subject.");
        }

        var purging = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var current = Truth[item.ItemId];
            if (current.State == ItemState.Purging || current.IsDue(now))
            {
                Truth[item.ItemId] = current with { State = ItemState.Purging };
                purging.Add(item.ItemId);
            }
        }

        Written();
        return Task.FromResult<IReadOnlySet<string>>(purging);
    }

    public Task UnhideAsync(string tenantId, IReadOnlyList<InventoryItem> items, string jobId, CancellationToken cancellationToken)
    {
        foreach (var item in items.Where(i => Truth[i.ItemId] is { State: ItemState.SoftDeleted } current && current.ErasureJobId == jobId))
        {
            Truth[item.ItemId] = Truth[item.ItemId] with { State = Truth[item.ItemId].HiddenFrom ?? ItemState.Active, PurgeAt = null, ErasureJobId = null, HiddenFrom = null };
        }

        return Written();
    }

    /// <summary>Runs once after the next move to purged is written: a test's crash of the step right after its write.</summary>
    public Action? AfterNextMarkPurged { get; set; }

    public async Task MarkPurgedAsync(string tenantId, IReadOnlyList<(string ItemId, long Versions)> items, string jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var (itemId, versions) in items.Where(i => Truth[i.ItemId].State == ItemState.Purging))
        {
            Truth[itemId] = Truth[itemId] with { State = ItemState.Purged, VersionsDeleted = versions, PurgedBy = jobId };
        }

        await Written();
        var after = AfterNextMarkPurged;
        AfterNextMarkPurged = null;
        after?.Invoke();
    }

    public Task<bool> RestoreAsync(string tenantId, string itemId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Truth.TryGetValue(itemId, out var item) || item.State != ItemState.SoftDeleted || item.PurgeAt is not { } purgeAt || now >= purgeAt)
        {
            return Task.FromResult(false);
        }

        Truth[itemId] = item with { State = item.HiddenFrom ?? ItemState.Active, PurgeAt = null, ErasureJobId = null, RestoredFrom = item.ErasureJobId, HiddenFrom = null };
        Written();
        return Task.FromResult(true);
    }

    public Task<InventoryItem?> FindAsync(string tenantId, string itemId, CancellationToken cancellationToken) =>
        Task.FromResult(Truth.TryGetValue(itemId, out var item) ? item : null);

    public Task<IReadOnlyList<InventoryItem>> DueAsync(string tenantId, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<InventoryItem>>(Truth.Values.Where(i => i.IsDue(now)).Take(limit).ToList());

    private Task Written()
    {
        if (SyncOnEveryWrite)
        {
            SyncIndex();
        }

        return Task.CompletedTask;
    }
}

/// <summary>An erasure's page manifests in memory.</summary>
public sealed class InMemoryManifests : IErasureManifests
{
    public Dictionary<(string JobId, long Page), List<InventoryItem>> Pages { get; } = [];

    public Task WriteAsync(string tenantId, string jobId, long page, IReadOnlyList<InventoryItem> items, DateTimeOffset at, CancellationToken cancellationToken)
    {
        Pages[(jobId, page)] = items.Select(i => i with { State = ItemState.SoftDeleted }).ToList();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<InventoryItem>?> ReadAsync(string tenantId, string jobId, long page, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<InventoryItem>?>(Pages.TryGetValue((jobId, page), out var items) ? items : null);

    public Task DeleteAfterAsync(string tenantId, string jobId, long lastPage, CancellationToken cancellationToken)
    {
        foreach (var key in Pages.Keys.Where(k => k.JobId == jobId && k.Page > lastPage).ToList())
        {
            Pages.Remove(key);
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(string tenantId, string jobId, CancellationToken cancellationToken)
    {
        foreach (var key in Pages.Keys.Where(k => k.JobId == jobId).ToList())
        {
            Pages.Remove(key);
        }

        return Task.CompletedTask;
    }
}

/// <summary>The records behind inventory items, by id, as masking opens them (decrypted fields), and the subject's id.</summary>
public sealed class InMemoryMaskingReader : IMaskingReader
{
    public Dictionary<string, IReadOnlyDictionary<string, string>> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>Records stored field-encrypted (marked sensitive): masking purges them instead.</summary>
    public HashSet<string> Sensitive { get; } = new(StringComparer.Ordinal);

    /// <summary>Records that cannot be opened, with why.</summary>
    public Dictionary<string, string> Failing { get; } = new(StringComparer.Ordinal);

    public string? SubjectId { get; set; }

    public Task<MaskingInput> OpenAsync(Lethe.Domain.Tenancy.Tenant tenant, string subjectRef, IReadOnlyList<string> recordIds, CancellationToken cancellationToken)
    {
        var created = new DateTimeOffset(2026, 11, 2, 14, 30, 0, TimeSpan.Zero);
        var views = recordIds.Where(id => Fields.ContainsKey(id) && !Failing.ContainsKey(id)).Select(id => new RecordView(
            new StoredRecord(id, tenant.Id, subjectRef, "invoice", "staff_only", Lethe.Domain.Classification.ClassificationLevel.Confidential, false, [], Sensitive.Contains(id),
                new Dictionary<string, string>(), new Dictionary<string, byte[]>(), created, created.AddYears(10), ItemState.SoftDeleted, "billing"),
            Fields[id])).ToList();
        return Task.FromResult(new MaskingInput(SubjectId, views, recordIds.Where(Failing.ContainsKey).ToDictionary(id => id, id => Failing[id], StringComparer.Ordinal)));
    }
}

/// <summary>Deletes "data" in memory: two versions per file, one per table item; items named in <see cref="Failing"/> fail.</summary>
public sealed class InMemoryPurger : IDataPurger
{
    public HashSet<string> Failing { get; } = new(StringComparer.Ordinal);

    public List<string> Purged { get; } = [];

    public Task<IReadOnlyList<PurgeOutcome>> PurgeAsync(string tenantId, IReadOnlyList<InventoryItem> items, CancellationToken cancellationToken)
    {
        var outcomes = items.Select(i => Failing.Contains(i.ItemId)
            ? new PurgeOutcome(i.ItemId, 0, "AccessDenied after retries")
            : new PurgeOutcome(i.ItemId, i.Store == "s3" ? 2 : 0, null)).ToList();
        Purged.AddRange(outcomes.Where(o => o.Succeeded).Select(o => o.ItemId));
        return Task.FromResult<IReadOnlyList<PurgeOutcome>>(outcomes);
    }
}

/// <summary>The subject's KEK in memory: shred, or replace (prepare a pending key, commit it).</summary>
public sealed class InMemorySubjectKeys : ISubjectKeyShredder, ISurvivorRewrapper
{
    public string? CurrentKekId { get; private set; } = "kek-1";

    public string? PendingKekId { get; private set; }

    public List<string> Destroyed { get; } = [];

    public List<string> RewrappedRecords { get; } = [];

    public int DirectoryRewraps { get; private set; }

    public Task<string?> ShredAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        if (CurrentKekId is { } id)
        {
            Destroyed.Add(id);
            CurrentKekId = null;
        }

        return Task.FromResult(Destroyed.LastOrDefault());
    }

    public Task<(SubjectKek Current, SubjectKek Fresh)?> PrepareReplacementAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        if (CurrentKekId is null)
        {
            return Task.FromResult<(SubjectKek, SubjectKek)?>(null);
        }

        PendingKekId ??= "kek-2";
        return Task.FromResult<(SubjectKek, SubjectKek)?>((new SubjectKek(CurrentKekId, RandomNumberGenerator.GetBytes(32)), new SubjectKek(PendingKekId, RandomNumberGenerator.GetBytes(32))));
    }

    public Task<string?> CommitReplacementAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        if (PendingKekId is { } pending && CurrentKekId is { } old)
        {
            Destroyed.Add(old);
            CurrentKekId = pending;
            PendingKekId = null;
        }

        return Task.FromResult(Destroyed.LastOrDefault());
    }

    public Task RewrapRecordAsync(string tenantId, string subjectRef, InventoryItem item, SubjectKek current, SubjectKek fresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        RewrappedRecords.Add(item.ItemId);
        return Task.CompletedTask;
    }

    public Task RewrapDirectoryAsync(string tenantId, string subjectRef, SubjectKek current, SubjectKek fresh, CancellationToken cancellationToken)
    {
        DirectoryRewraps++;
        return Task.CompletedTask;
    }
}

public sealed class InMemoryHolds : IHoldCheck
{
    public HashSet<string> HeldSubjects { get; } = new(StringComparer.Ordinal);

    public Task<bool> IsHeldAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) => Task.FromResult(HeldSubjects.Contains(subjectRef));
}

/// <summary>The journal, the chain head, the signer and the certificate store in memory.</summary>
public sealed class InMemoryEvidence : IAuditJournal, IAuditChainStore, IEvidenceSigner, ICertificateStore
{
    public Dictionary<string, AuditEvent> Events { get; } = new(StringComparer.Ordinal);

    /// <summary>Certificates by request id and type (a deletion's and its backup scrub's share the request id).</summary>
    public Dictionary<(string RequestId, string Type), SignedCertificate> Certificates { get; } = [];

    public string KeyId => "signing-key-1";

    public bool IsKnownKey(string keyId) => keyId == KeyId;

    public Task<ChainedAuditEvent?> FindAsync(string tenantId, long seq, CancellationToken cancellationToken) => throw new NotSupportedException();

    public IAsyncEnumerable<(ChainedAuditEvent Event, string Position)> ReadByTimeAsync(string tenantId, DateTimeOffset? since, DateTimeOffset? until, string? after, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task AppendAsync(AuditEvent evt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evt);
        Events.TryAdd(evt.EventId, evt);
        return Task.CompletedTask;
    }

    public Task<ChainHead> ReadHeadAsync(string tenantId, CancellationToken cancellationToken) => Task.FromResult(new ChainHead(Events.Count, new string('a', 64)));

    public Task<IReadOnlyList<PendingAuditEvent>> ReadPendingAsync(string tenantId, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<PendingAuditEvent>> ReadUnchainedAsync(string tenantId, IReadOnlyCollection<string> journalKeys, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> TryLinkAsync(string tenantId, ChainHead expectedHead, IReadOnlyList<AuditLink> links, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<PendingAuditEvent?> OldestPendingAsync(string tenantId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public IAsyncEnumerable<ChainedAuditEvent> ReadChainAsync(string tenantId, long fromSeq, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<byte[]> SignAsync(byte[] payload, CancellationToken cancellationToken) => Task.FromResult(SHA256.HashData(payload));

    public Task<bool> VerifyAsync(byte[] payload, byte[] signature, string keyId, CancellationToken cancellationToken) => Task.FromResult(SHA256.HashData(payload).SequenceEqual(signature));

    public Task<SignedCertificate> PutOnceAsync(SignedCertificate certificate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var key = (certificate.RequestId, certificate.Type);
        return Task.FromResult(Certificates.TryAdd(key, certificate) ? certificate : Certificates[key]);
    }

    public Task<SignedCertificate?> FindAsync(string tenantId, string requestId, string type, CancellationToken cancellationToken) =>
        Task.FromResult(Certificates.TryGetValue((requestId, type), out var certificate) ? certificate : null);

    public Task<IReadOnlyList<SignedCertificate>> ListAsync(string tenantId, string requestId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SignedCertificate>>(Certificates.Values.Where(c => c.RequestId == requestId).ToList());

}

/// <summary>Tenants kept in a dictionary; a tenant not added reads as missing.</summary>
public sealed class InMemoryTenants : ITenantRepository
{
    public Dictionary<string, Tenant> Items { get; } = new(StringComparer.Ordinal);

    public Task<Tenant?> FindAsync(string tenantId, CancellationToken cancellationToken) => Task.FromResult(Items.GetValueOrDefault(tenantId));

    public Task<Tenant> GetOrCreateAsync(Tenant candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return Task.FromResult(Items.TryAdd(candidate.Id, candidate) ? candidate : Items[candidate.Id]);
    }

    public Task<bool> TrySaveAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        Items[tenant.Id] = tenant;
        return Task.FromResult(true);
    }
}
