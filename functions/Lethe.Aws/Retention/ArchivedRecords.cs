using Lethe.Domain.Classification;
using Lethe.Domain.Records;

namespace Lethe.Aws.Retention;

/// <summary>
/// One archived object: a subject's records of one category that one sweep page archived. Each entry is the record as the
/// Records table held it (<see cref="ArchivedRecord"/>; sealed fields stay sealed under the subject's KEK), sealed again under
/// a key of its own that only the record's inventory item holds (<see cref="Domain.Crypto.ArchiveEntry"/>), so a retrieval
/// puts back exactly what was there and a purged record is unreadable in an object that outlives it.
/// </summary>
public sealed record ArchivedRecordObject(int Version, string TenantId, string SubjectRef, string Category, string ArchivedBy, DateTimeOffset ArchivedAt, List<ArchivedEntry> Entries)
{
    public const int CurrentVersion = 2;
}

/// <summary>One record's entry: its id and its sealed <see cref="ArchivedRecord"/> (base64).</summary>
public sealed record ArchivedEntry(string Id, string Sealed);

/// <summary>One record of an archived object, as its entry holds it once opened.</summary>
public sealed record ArchivedRecord(
    string Id,
    string Visibility,
    string Classification,
    bool SpecialCategory,
    List<string> Pii,
    bool Encrypted,
    Dictionary<string, string> Fields,
    DateTimeOffset CreatedAt,
    DateTimeOffset RetainUntil,
    string CreatedBy)
{
    public static ArchivedRecord From(StoredRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new ArchivedRecord(
            record.Id,
            record.Visibility,
            record.Classification.ToString().ToLowerInvariant(),
            record.SpecialCategory,
            record.Pii.Select(PiiKinds.Name).ToList(),
            record.Encrypted,
            record.Encrypted
                ? record.SealedFields.ToDictionary(f => f.Key, f => Convert.ToBase64String(f.Value), StringComparer.Ordinal)
                : record.PlainFields.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal),
            record.CreatedAt,
            record.RetainUntil,
            record.CreatedBy);
    }

    /// <summary>The record as the Records table holds it, readable (state active) for a retrieval's window.</summary>
    public StoredRecord ToStored(string tenantId, string subjectRef, string category) => new(
        Id,
        tenantId,
        subjectRef,
        category,
        Visibility,
        Enum.Parse<ClassificationLevel>(Classification, ignoreCase: true),
        SpecialCategory,
        Pii.Select(p => Enum.GetValues<PiiKind>().Single(k => PiiKinds.Name(k) == p)).ToList(),
        Encrypted,
        Encrypted ? new Dictionary<string, string>() : new Dictionary<string, string>(Fields, StringComparer.Ordinal),
        Encrypted ? Fields.ToDictionary(f => f.Key, f => Convert.FromBase64String(f.Value), StringComparer.Ordinal) : new Dictionary<string, byte[]>(),
        CreatedAt,
        RetainUntil,
        ItemState.Active,
        CreatedBy);
}
