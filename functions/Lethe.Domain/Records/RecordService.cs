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
    public async Task<StoredRecord> CreateAsync(Tenant tenant, string tenantKeyArn, string subjectRef, string subjectId, RecordDraft draft, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(draft);
        var category = draft.Category!;
        var fields = draft.Fields!.ToDictionary(f => f.Key, f => f.Value!, StringComparer.Ordinal);
        var classification = DataClassifier.Classify(category, draft.Sensitive, fields.Values);
        var id = $"rec_{Guid.NewGuid():N}";
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

    public static EnvelopeContext SubjectIdContext(string tenantId, string subjectRef) => new(tenantId, subjectRef, "subject", "id");
}
