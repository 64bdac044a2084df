using System.Text.RegularExpressions;
using Lethe.Domain.Classification;
using Lethe.Domain.Policies;

namespace Lethe.Domain.Records;

public enum ItemState
{
    Active,
    SoftDeleted,
    Purging,
    Archived,
    Purged,
}

public static class ItemStates
{
    public static string Name(ItemState state) => state switch
    {
        ItemState.Active => "active",
        ItemState.SoftDeleted => "soft_deleted",
        ItemState.Purging => "purging",
        ItemState.Archived => "archived",
        ItemState.Purged => "purged",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static ItemState Parse(string value) => value switch
    {
        "active" => ItemState.Active,
        "soft_deleted" => ItemState.SoftDeleted,
        "purging" => ItemState.Purging,
        "archived" => ItemState.Archived,
        "purged" => ItemState.Purged,
        _ => throw new FormatException($"Unknown item state '{value}'."),
    };
}

/// <summary>What a client asks to store (API.md, POST …/records).</summary>
public sealed record RecordDraft(string? Category, string? Visibility, bool Sensitive, IReadOnlyDictionary<string, string?>? Fields);

/// <summary>A record as stored: field values either as plaintext or as sealed envelopes, never both.</summary>
public sealed record StoredRecord(
    string Id,
    string TenantId,
    string SubjectRef,
    string Category,
    string Visibility,
    ClassificationLevel Classification,
    bool SpecialCategory,
    IReadOnlyList<PiiKind> Pii,
    bool Encrypted,
    IReadOnlyDictionary<string, string> PlainFields,
    IReadOnlyDictionary<string, byte[]> SealedFields,
    DateTimeOffset CreatedAt,
    DateTimeOffset RetainUntil,
    ItemState State,
    string CreatedBy)
{
    /// <summary>
    /// A retrieved archived record's copy is readable until then and not after, whatever else happens (a re-archive that
    /// never ran leaves nothing readable).
    /// </summary>
    public DateTimeOffset? ReadableUntil { get; init; }

    /// <summary>Whether a read at <paramref name="now"/> may return the record: active, and inside a retrieval's window if it has one.</summary>
    public bool IsReadableAt(DateTimeOffset now) => State == ItemState.Active && (ReadableUntil is not { } end || now < end);
}

/// <summary>The rules of a record draft: names, sizes and what must be encrypted.</summary>
public static partial class RecordRules
{
    public const int MaxFields = 100;
    public const int MaxFieldValueLength = 64 * 1024;

    public static bool MustEncrypt(string category, bool sensitive) => sensitive || CategoryName.AlwaysEncrypted.Contains(category);

    public static IReadOnlyDictionary<string, string[]> Validate(RecordDraft? draft)
    {
        var errors = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        if (draft is null)
        {
            errors["body"] = ["A JSON body {\"category\",\"visibility\",\"sensitive\",\"fields\"} is required."];
            return errors;
        }

        if (!CategoryName.IsValid(draft.Category))
        {
            errors["category"] = ["A category is [a-z][a-z0-9_]{1,39}, e.g. transcript."];
        }

        if (draft.Visibility is not null && !Identifier().IsMatch(draft.Visibility))
        {
            errors["visibility"] = ["A visibility is [a-z][a-z0-9_]{1,39}, e.g. coach_only or shared."];
        }

        if (draft.Fields is null || draft.Fields.Count == 0)
        {
            errors["fields"] = ["At least one field is required."];
        }
        else if (draft.Fields.Count > MaxFields)
        {
            errors["fields"] = [$"At most {MaxFields} fields."];
        }
        else
        {
            foreach (var (name, value) in draft.Fields)
            {
                if (!FieldName().IsMatch(name))
                {
                    errors[$"fields.{name}"] = ["A field name is [A-Za-z][A-Za-z0-9_]{0,63}."];
                }
                else if (value is null)
                {
                    errors[$"fields.{name}"] = ["A field value is a string."];
                }
                else if (value.Length > MaxFieldValueLength)
                {
                    errors[$"fields.{name}"] = [$"A field value is at most {MaxFieldValueLength} characters."];
                }
            }
        }

        return errors;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{1,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldName();
}

/// <summary>The records of a subject, and the inventory entry every stored record gets in the same write. A port.</summary>
public interface IRecordStore
{
    /// <summary>
    /// Writes the record, its inventory item and the subject's directory entry (<paramref name="sealedSubjectId"/>, kept from the
    /// first write) atomically; refused with <see cref="Errors.ErasureInProgressException"/> while the subject's erasure is open,
    /// and with <see cref="Crypto.KekReplacedException"/> when the subject's stored KEK is no longer <paramref name="kekId"/>
    /// (the one the fields are sealed under), both checked by the write's own transaction.
    /// </summary>
    Task CreateAsync(StoredRecord record, byte[] sealedSubjectId, string kekId, CancellationToken cancellationToken);

    Task<StoredRecord?> FindAsync(string tenantId, string recordId, CancellationToken cancellationToken);

    /// <summary>A page of the subject's active records, newest first, through the inventory's bySubject index.</summary>
    Task<(IReadOnlyList<StoredRecord> Items, string? NextCursor)> ListActiveAsync(string tenantId, string subjectRef, string? cursor, int limit, CancellationToken cancellationToken);
}

/// <summary>The inventory, read: the single source of what exists (API.md, GET …/items). A port.</summary>
public interface IInventory
{
    Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> ListAsync(
        string tenantId, string? subjectRef, ItemState? state, string? cursor, int limit, CancellationToken cancellationToken);
}

