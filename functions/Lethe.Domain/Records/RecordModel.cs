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

    /// <summary>How often the record was rectified: every replacement is conditional on the revision it read.</summary>
    public int Revision { get; init; }

    /// <summary>When it was last rectified (null: never).</summary>
    public DateTimeOffset? RectifiedAt { get; init; }

    /// <summary>Whether a read at <paramref name="now"/> may return the record: active, and inside a retrieval's window if it has one.</summary>
    public bool IsReadableAt(DateTimeOffset now) => State == ItemState.Active && (ReadableUntil is not { } end || now < end);
}

/// <summary>The record changed (or left the active state) between its read and a rectification's write: nothing was written.</summary>
public sealed class RecordChangedException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.RecordChanged";
}

/// <summary>A change would leave a record outside its rules (no field left, too many): nothing was written.</summary>
public sealed class RecordRulesException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.RecordRules";
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

    /// <summary>
    /// The rules of a rectification (API.md, PATCH …/records/{id}): one or more fields, each a new string value or null (the
    /// field is removed), and a record left with at least one field and at most <see cref="MaxFields"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> ValidateRectification(IReadOnlyDictionary<string, string?>? changes)
    {
        var errors = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        if (changes is null || changes.Count == 0)
        {
            errors["fields"] = ["Name at least one field: {\"fields\":{\"name\":\"new value\"}} (null removes the field)."];
            return errors;
        }

        if (changes.Count > MaxFields)
        {
            errors["fields"] = [$"At most {MaxFields} fields."];
            return errors;
        }

        foreach (var (name, value) in changes)
        {
            if (!FieldName().IsMatch(name))
            {
                errors[$"fields.{name}"] = ["A field name is [A-Za-z][A-Za-z0-9_]{0,63}."];
            }
            else if (value is { Length: > MaxFieldValueLength })
            {
                errors[$"fields.{name}"] = [$"A field value is at most {MaxFieldValueLength} characters."];
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

    /// <summary>
    /// Replaces a record's fields and classification (a rectification), in a transaction that checks the subject's erasure lock
    /// (<see cref="Errors.ErasureInProgressException"/>), that the record is active and unchanged since <paramref name="before"/>
    /// was read (<see cref="RecordChangedException"/>), and that the KEK it was sealed under is still current
    /// (<see cref="KekReplacedException"/>); the inventory item's classification follows, and the subject's last write is stamped.
    /// </summary>
    Task ReplaceAsync(StoredRecord before, StoredRecord after, string kekId, CancellationToken cancellationToken);

    /// <summary>A page of the subject's active records, newest first, through the inventory's bySubject index.</summary>
    Task<(IReadOnlyList<StoredRecord> Items, string? NextCursor)> ListActiveAsync(string tenantId, string subjectRef, string? cursor, int limit, CancellationToken cancellationToken);
}

/// <summary>The inventory, read: the single source of what exists (API.md, GET …/items). A port.</summary>
public interface IInventory
{
    Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> ListAsync(
        string tenantId, string? subjectRef, ItemState? state, string? cursor, int limit, CancellationToken cancellationToken);
}

