using System.Text;
using System.Text.RegularExpressions;
using Lethe.Domain.Classification;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure;

/// <summary>
/// Masking (API.md, <c>PUT …/settings/erasure</c>): the record an erasure keeps for the tenant's legal obligations. Every PII
/// field (a field whose name holds a personal-identifier word, or whose whole value is one detected PII value) becomes
/// <see cref="Erased"/>; detected PII inside the other fields is redacted to <see cref="Erased"/>, as is the subject's own id
/// where it stands as a word of its own. The copy gets a new id, no subject, no field encryption (only records that were
/// stored in the clear are masked: see <see cref="MayMask"/>), and the day of the masking as its creation, so neither its id,
/// its subject nor its creation time leads back to the person's audit events. Person names in free text are not detected:
/// they are redacted only where they sit in a name field or spell the subject id.
/// </summary>
public static class RecordMasking
{
    public const string Erased = "[erased]";

    /// <summary>Who the inventory and the record name as the copy's creator.</summary>
    public const string CreatedBy = "erasure-mask";

    /// <summary>A subject id shorter than this is too common a word to be redacted inside text (a field named for it still goes).</summary>
    public const int MinimumRedactedIdLength = 3;

    /// <summary>Words that make a field (its name lowercased, without <c>_</c> or <c>-</c>) a personal identifier whatever its value.</summary>
    private static readonly string[] IdentifierWords =
    [
        "name", "mail", "phone", "mobile", "fax", "addr", "street", "city", "zip", "postcode", "postal", "birth", "ssn", "socialsecurity",
        "passport", "nationalid", "taxid", "vatid", "iban", "accountnumber", "card", "contact", "customer", "client", "patient",
        "member", "user", "person", "recipient", "subject", "signature", "licence", "license", "ipaddress", "geo", "latitude", "longitude",
    ];

    /// <summary>Field names of the business a record is about, not of a person, though they hold an identifier word.</summary>
    private static readonly HashSet<string> BusinessNames = new(StringComparer.Ordinal)
    {
        "productname", "itemname", "servicename", "planname", "packagename", "coursename", "programname", "filename", "currencyname",
        "brandname",
    };

    /// <summary>Names identifying on their own that are too short to look for inside longer names.</summary>
    private static readonly HashSet<string> IdentifierNames = new(StringComparer.Ordinal) { "ip", "dob", "tel", "bic", "gps" };

    /// <summary>
    /// Only a record stored in the clear is masked: one the caller marked sensitive, or that holds special-category data, was
    /// field-encrypted and would have to be kept in the clear (no subject key is left to seal it under), so it is purged instead.
    /// </summary>
    public static bool MayMask(StoredRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return !record.Encrypted && !record.SpecialCategory;
    }

    /// <summary>Whether a field of this name is a personal identifier whatever its value.</summary>
    public static bool IsIdentifierField(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var normalized = new string(name.Where(c => c is not ('_' or '-' or '.' or ' ')).Select(char.ToLowerInvariant).ToArray());
        if (IdentifierNames.Contains(normalized))
        {
            return true;
        }

        return !BusinessNames.Contains(normalized) && IdentifierWords.Any(word => normalized.Contains(word, StringComparison.Ordinal));
    }

    /// <summary>One field's value as the masked copy keeps it.</summary>
    public static string MaskValue(string name, string value, string? subjectId)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (IsIdentifierField(name))
        {
            return Erased;
        }

        var text = subjectId is { Length: >= MinimumRedactedIdLength } ? SubjectIdPattern(subjectId).Replace(value, Erased) : value;
        var matches = PiiDetector.Scan(text);
        if (matches.Count == 1 && text.Trim().Length == matches[0].Length)
        {
            return Erased;
        }

        var masked = new StringBuilder(text.Length);
        var at = 0;
        foreach (var match in matches)
        {
            if (match.Start < at)
            {
                // Overlapping matches (a phone inside a longer number): the earlier one already covers its start.
                at = Math.Max(at, match.Start + match.Length);
                continue;
            }

            masked.Append(text, at, match.Start - at).Append(Erased);
            at = match.Start + match.Length;
        }

        masked.Append(text, at, text.Length - at);
        var result = masked.ToString();
        // What the detector still finds after redaction (a value cut so that a new match forms) goes whole.
        return PiiDetector.Scan(result).Count == 0 ? result : Erased;
    }

    /// <summary>
    /// Where the subject id is redacted, in any case: an id of at least <see cref="DistinctIdLength"/> characters with a letter in
    /// it is distinctive, so it goes wherever it appears ("INV-anna.berg", "crm:anna.berg"); a shorter or all-digit one only where
    /// it stands as a word of its own (not inside a longer id, a number or an amount: "120" in "120.00 EUR" stays). A
    /// sentence's full stop after it still ends the word.
    /// </summary>
    private static Regex SubjectIdPattern(string subjectId) => subjectId.Length >= DistinctIdLength && subjectId.Any(char.IsAsciiLetter)
        ? new(Regex.Escape(subjectId), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
        : new($@"(?<![A-Za-z0-9_@:\-]|[A-Za-z0-9][.]){Regex.Escape(subjectId)}(?![A-Za-z0-9_@:\-]|[.][A-Za-z0-9])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>An id at least this long with a letter in it is redacted wherever it appears.</summary>
    public const int DistinctIdLength = 5;

    /// <summary>
    /// The masked copy of <paramref name="original"/> (see <see cref="MayMask"/>) whose fields, opened, are <paramref name="fields"/>:
    /// a new active record of the same category and visibility under <paramref name="newId"/>, with no subject and plain masked
    /// fields, created on the (tenant's, scaled) day <paramref name="now"/> falls in and retained at least as long as the original
    /// (its retention end rounded up to a 30-day grid).
    /// </summary>
    public static StoredRecord Mask(string newId, StoredRecord original, IReadOnlyDictionary<string, string> fields, string? subjectId, DateTimeOffset now, TimeSpan day)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(fields);
        if (day <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(day), day, "A day is longer than zero.");
        }

        var masked = fields.ToDictionary(f => f.Key, f => MaskValue(f.Key, f.Value, subjectId), StringComparer.Ordinal);
        var classification = DataClassifier.Classify(original.Category, sensitive: false, masked.Values);
        // Retention ends on a 30-day grid (rounded up): the original's exact end would tell its creation day for fixed-period categories.
        var month = day * 30;
        var retainUntil = Floor(original.RetainUntil, month);
        return new StoredRecord(
            newId,
            original.TenantId,
            SubjectRef: string.Empty,
            original.Category,
            original.Visibility,
            classification.Level,
            classification.SpecialCategory,
            classification.Pii,
            Encrypted: false,
            PlainFields: masked,
            SealedFields: new Dictionary<string, byte[]>(),
            CreatedAt: Floor(now, day),
            RetainUntil: retainUntil < original.RetainUntil ? retainUntil + month : retainUntil,
            State: ItemState.Active,
            CreatedBy);
    }

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan day) => new(at.UtcTicks - (at.UtcTicks % day.Ticks), TimeSpan.Zero);
}
