using System.Text;
using Lethe.Domain.Classification;
using Lethe.Domain.Crypto;
using Lethe.Domain.Policies;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Records;

/// <summary>A record with its fields readable again (after decryption where they were sealed).</summary>
public sealed record RecordView(StoredRecord Record, IReadOnlyDictionary<string, string> Fields);

/// <summary>
/// Stores and reads records: classifies, seals fields of the always-encrypted categories and of <c>sensitive</c> records under
/// the subject's KEK (one fresh DEK per value), computes <c>retainUntil</c> from the tenant's retention, registers the
/// subject, and opens sealed fields on read. Pure orchestration over ports.
/// </summary>
public sealed class RecordService(IKeyHierarchy keys, IRecordStore store, TimeProvider clock)
{
    /// <param name="recordId">A fixed id (a workflow step that may run twice); a new one when null.</param>
    public async Task<StoredRecord> CreateAsync(Tenant tenant, string tenantKeyArn, string subjectRef, string subjectId, RecordDraft draft, string actor, CancellationToken cancellationToken, string? recordId = null)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(draft);
        var category = draft.Category!;
        var fields = draft.Fields!.ToDictionary(f => f.Key, f => f.Value!, StringComparer.Ordinal);
        var classification = DataClassifier.Classify(category, draft.Sensitive, fields.Values);
        var id = recordId ?? $"rec_{Guid.NewGuid():N}";
        var now = clock.GetUtcNow();
        var encrypt = RecordRules.MustEncrypt(category, draft.Sensitive);
        var kek = await keys.GetOrCreateSubjectKekAsync(tenant.Id, tenantKeyArn, subjectRef, cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var sealedFields = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            if (encrypt)
            {
                foreach (var (name, value) in fields)
                {
                    sealedFields[name] = FieldEnvelope.Seal(Encoding.UTF8.GetBytes(value), kek, new EnvelopeContext(tenant.Id, subjectRef, id, name));
                }
            }

            var record = new StoredRecord(
                id, tenant.Id, subjectRef, category, draft.Visibility ?? "shared", classification.Level, classification.SpecialCategory, classification.Pii,
                encrypt, encrypt ? new Dictionary<string, string>() : fields, sealedFields, now,
                LifecyclePolicy.Deadline(now, tenant.Retention.For(category).ToTimeSpan(), tenant.TimeScale), ItemState.Active, actor);
            try
            {
                await store.CreateAsync(record, FieldEnvelope.Seal(Encoding.UTF8.GetBytes(subjectId), kek, SubjectIdContext(tenant.Id, subjectRef)), kek.KeyId, cancellationToken);
                return record;
            }
            catch (KekReplacedException) when (attempt < 2)
            {
                // Another process shredded or replaced the KEK this process held: seal again under the stored one (or a new
                // one, created under the erasure lock, when it was shredded).
                kek = await keys.RefreshSubjectKekAsync(tenant.Id, tenantKeyArn, subjectRef, cancellationToken)
                    ?? await keys.GetOrCreateSubjectKekAsync(tenant.Id, tenantKeyArn, subjectRef, cancellationToken);
            }
        }
    }

    public async Task<RecordView> OpenAsync(StoredRecord record, string tenantKeyArn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!record.Encrypted)
        {
            return new RecordView(record, record.PlainFields);
        }

        var kek = await keys.FindSubjectKekAsync(record.TenantId, tenantKeyArn, record.SubjectRef, cancellationToken);
        if (kek is not null && record.SealedFields.Values.Any(f => FieldEnvelope.KeyIdOf(f) != kek.KeyId))
        {
            // Sealed under a KEK this process has not seen: an erasure replaced it (survivors were rewrapped) elsewhere.
            kek = await keys.RefreshSubjectKekAsync(record.TenantId, tenantKeyArn, record.SubjectRef, cancellationToken);
        }

        if (kek is null)
        {
            throw new EnvelopeException("key-shredded", "The subject's key was shredded: this record's fields can no longer be read by anyone.");
        }

        var fields = record.SealedFields.ToDictionary(
            f => f.Key,
            f => Encoding.UTF8.GetString(FieldEnvelope.Open(f.Value, kek, new EnvelopeContext(record.TenantId, record.SubjectRef, record.Id, f.Key))),
            StringComparer.Ordinal);
        return new RecordView(record, fields);
    }

    /// <summary>
    /// Rectification (Art. 16): the record's fields with <paramref name="changes"/> applied (a null value removes the field),
    /// classified again, every value of an encrypted record sealed afresh (a new DEK each) under the subject's current KEK, and
    /// written conditional on the record being unchanged since <paramref name="current"/> was read. The old values are not kept.
    /// Returns the rectified record and the names of the fields set and removed.
    /// </summary>
    /// <param name="visibility">A new visibility for the record (a reviewed insight's promotion); unchanged when null.</param>
    public async Task<(StoredRecord Record, IReadOnlyList<string> Set, IReadOnlyList<string> Removed)> RectifyAsync(
        StoredRecord current, string tenantKeyArn, IReadOnlyDictionary<string, string?> changes, CancellationToken cancellationToken, string? visibility = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(changes);
        var fields = new Dictionary<string, string>((await OpenAsync(current, tenantKeyArn, cancellationToken)).Fields, StringComparer.Ordinal);
        var removed = changes.Where(c => c.Value is null).Select(c => c.Key).Where(fields.ContainsKey).Order(StringComparer.Ordinal).ToList();
        var set = changes.Where(c => c.Value is not null).Select(c => c.Key).Order(StringComparer.Ordinal).ToList();
        foreach (var (name, value) in changes)
        {
            if (value is null)
            {
                fields.Remove(name);
            }
            else
            {
                fields[name] = value;
            }
        }

        if (fields.Count is 0 or > RecordRules.MaxFields)
        {
            throw new RecordRulesException(fields.Count == 0
                ? "A record keeps at least one field: delete the record instead of removing its last field."
                : $"A record has at most {RecordRules.MaxFields} fields.");
        }

        var classification = DataClassifier.Classify(current.Category, current.Encrypted && !RecordRules.MustEncrypt(current.Category, false), fields.Values);
        var kek = current.Encrypted ? await keys.FindSubjectKekAsync(current.TenantId, tenantKeyArn, current.SubjectRef, cancellationToken) : null;
        for (var attempt = 1; ; attempt++)
        {
            var sealedFields = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            if (current.Encrypted)
            {
                var key = kek ?? throw new EnvelopeException("key-shredded", "The subject's key was shredded: this record can no longer be changed.");
                foreach (var (name, value) in fields)
                {
                    sealedFields[name] = FieldEnvelope.Seal(Encoding.UTF8.GetBytes(value), key, new EnvelopeContext(current.TenantId, current.SubjectRef, current.Id, name));
                }
            }

            var rectified = current with
            {
                Visibility = visibility ?? current.Visibility,
                Classification = classification.Level,
                SpecialCategory = classification.SpecialCategory,
                Pii = classification.Pii,
                PlainFields = current.Encrypted ? new Dictionary<string, string>() : fields,
                SealedFields = sealedFields,
                Revision = current.Revision + 1,
                RectifiedAt = clock.GetUtcNow(),
            };
            try
            {
                await store.ReplaceAsync(current, rectified, kek?.KeyId ?? "none", cancellationToken);
                return (rectified, set, removed);
            }
            catch (KekReplacedException) when (attempt < 2)
            {
                // An erasure of another item replaced the subject's KEK meanwhile (survivors rewrapped): seal under the new one.
                kek = await keys.RefreshSubjectKekAsync(current.TenantId, tenantKeyArn, current.SubjectRef, cancellationToken);
            }
        }
    }

    public static EnvelopeContext SubjectIdContext(string tenantId, string subjectRef) => new(tenantId, subjectRef, "subject", "id");
}
