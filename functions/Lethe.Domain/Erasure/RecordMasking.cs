using System.Text;
using Lethe.Domain.Classification;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure;

/// <summary>
/// Masking (API.md, <c>PUT …/settings/erasure</c>): the record an erasure keeps for the tenant's legal obligations. Every PII
/// field (a field named like a personal identifier, or whose whole value is one detected PII value) becomes
/// <see cref="Erased"/>; detected PII inside the other fields is redacted to <see cref="Erased"/>, as is the subject's own id
/// wherever it appears. The copy gets a new id, no subject, no field encryption (no subject key is left to seal it under), and
/// times cut to the day, so neither its id, its subject nor its exact creation time leads back to the person's audit events.
/// </summary>
public static class RecordMasking
{
    public const string Erased = "[erased]";

    /// <summary>Who the inventory and the record name as the copy's creator.</summary>
    public const string CreatedBy = "erasure-mask";

    /// <summary>Field names (compared without case, <c>_</c> or <c>-</c>) that hold a personal identifier whatever their value.</summary>
    private static readonly HashSet<string> IdentifierFields = new(StringComparer.Ordinal)
    {
        "name", "firstname", "lastname", "fullname", "givenname", "familyname", "surname", "middlename", "nickname", "username",
        "displayname", "customer", "customername", "clientname", "billingname", "contactname", "recipient", "recipientname",
        "email", "emailaddress", "mail", "phone", "phonenumber", "mobile", "mobilenumber", "telephone", "tel", "fax",
        "address", "streetaddress", "street", "addressline1", "addressline2", "billingaddress", "shippingaddress", "postcode",
        "postalcode", "zip", "zipcode", "dateofbirth", "dob", "birthdate", "birthday", "ssn", "socialsecuritynumber",
        "nationalid", "nationalidnumber", "passport", "passportnumber", "taxid", "vatid", "iban", "bic", "accountnumber",
        "cardnumber", "card", "ip", "ipaddress", "subjectid", "userid", "customerid", "clientid", "patientid", "memberid",
    };

    /// <summary>Whether a field of this name is a personal identifier whatever its value.</summary>
    public static bool IsIdentifierField(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var normalized = new string(name.Where(c => c is not ('_' or '-')).Select(char.ToLowerInvariant).ToArray());
        return IdentifierFields.Contains(normalized);
    }

    /// <summary>One field's value as the masked copy keeps it.</summary>
    public static string MaskValue(string name, string value, string? subjectId)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (IsIdentifierField(name))
        {
            return Erased;
        }

        var text = string.IsNullOrEmpty(subjectId) ? value : value.Replace(subjectId, Erased, StringComparison.OrdinalIgnoreCase);
        var matches = PiiDetector.Scan(text);
        if (matches.Count == 1 && text.Trim().Length == matches[0].Length)
        {
            return Erased;
        }

        var masked = new StringBuilder(text.Length);
        var at = 0;
        foreach (var match in matches.Where(m => m.Start >= 0))
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
    /// The masked copy of <paramref name="original"/> whose fields, opened, are <paramref name="fields"/>: a new active record of the
    /// same category and visibility under <paramref name="newId"/>, with no subject, plain masked fields, created and retained to
    /// the day (retention rounded up, so it is never shortened).
    /// </summary>
    public static StoredRecord Mask(string newId, StoredRecord original, IReadOnlyDictionary<string, string> fields, string? subjectId)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(fields);
        var masked = fields.ToDictionary(f => f.Key, f => MaskValue(f.Key, f.Value, subjectId), StringComparer.Ordinal);
        var classification = DataClassifier.Classify(original.Category, sensitive: false, masked.Values);
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
            CreatedAt: Day(original.CreatedAt),
            RetainUntil: Day(original.RetainUntil) < original.RetainUntil ? Day(original.RetainUntil).AddDays(1) : original.RetainUntil,
            State: ItemState.Active,
            CreatedBy);
    }

    private static DateTimeOffset Day(DateTimeOffset at) => new(at.UtcDateTime.Date, TimeSpan.Zero);
}
