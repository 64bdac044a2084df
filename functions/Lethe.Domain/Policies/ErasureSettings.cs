namespace Lethe.Domain.Policies;

/// <summary>What an erasure does with a category's records (API.md, <c>PUT …/settings/erasure</c>).</summary>
public enum ErasureStrategy
{
    /// <summary>The record is purged (the default for every category).</summary>
    Delete,

    /// <summary>
    /// The record stays for the tenant's legal obligations (an invoice, say) as a new record with every PII field replaced and
    /// detected PII redacted, linked to no subject and sealed under no subject key; the original is purged.
    /// </summary>
    Mask,
}

/// <summary>Per category, what an erasure does with the subject's records: delete (the default) or mask.</summary>
public sealed record ErasureSettings(IReadOnlyDictionary<string, ErasureStrategy> Categories)
{
    public static ErasureSettings Default { get; } = new(new Dictionary<string, ErasureStrategy>(StringComparer.Ordinal));

    /// <summary>Categories a tenant may name (the settings live on the tenant's one item).</summary>
    public const int MaxCategories = 100;

    /// <summary>The categories whose records an erasure masks, in name order.</summary>
    public IReadOnlyList<string> MaskedCategories =>
        Categories.Where(c => c.Value == ErasureStrategy.Mask).Select(c => c.Key).Order(StringComparer.Ordinal).ToList();

    public static string Name(ErasureStrategy strategy) => strategy == ErasureStrategy.Mask ? "mask" : "delete";

    public static ErasureStrategy? Parse(string? name) => name switch
    {
        "delete" => ErasureStrategy.Delete,
        "mask" => ErasureStrategy.Mask,
        _ => null,
    };

    /// <summary>
    /// Validates <c>PUT …/settings/erasure</c> (<c>{"categories":{"invoice":"mask"}}</c>, <c>{}</c> deletes everything): category
    /// names, <c>delete</c> or <c>mask</c> each. The categories whose fields are always encrypted (transcripts, insights, private
    /// notes, journals) are the person's own words: masking would leave them readable with only the detected PII gone, so they
    /// are only ever deleted. Every error keyed by its field (<c>categories.invoice</c>); no settings when there is any.
    /// </summary>
    public static (ErasureSettings? Settings, IReadOnlyDictionary<string, string[]> Errors) Validate(IReadOnlyDictionary<string, string?>? categories)
    {
        var errors = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        if (categories is null)
        {
            errors["categories"] = ["Give categories, e.g. {\"invoice\":\"mask\"} ({} deletes every category)."];
            return (null, errors);
        }

        if (categories.Count > MaxCategories)
        {
            errors["categories"] = [$"At most {MaxCategories} categories; {categories.Count} were given."];
            return (null, errors);
        }

        var parsed = new SortedDictionary<string, ErasureStrategy>(StringComparer.Ordinal);
        foreach (var (category, strategy) in categories)
        {
            var field = $"categories.{category}";
            if (!CategoryName.IsValid(category))
            {
                errors[field] = [$"'{category}' is not a category name: [a-z][a-z0-9_]{{1,39}}."];
            }
            else if (Parse(strategy) is not { } given)
            {
                errors[field] = ["A strategy is delete or mask."];
            }
            else if (given == ErasureStrategy.Mask && CategoryName.AlwaysEncrypted.Contains(category))
            {
                errors[field] = [$"A {category} is the person's own content: masking would leave it readable, so it is always deleted."];
            }
            else
            {
                parsed[category] = given;
            }
        }

        return errors.Count > 0 ? (null, errors) : (new ErasureSettings(parsed), errors);
    }

    public bool SameAs(ErasureSettings other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Categories.Count == other.Categories.Count && Categories.All(c => other.Categories.TryGetValue(c.Key, out var s) && s == c.Value);
    }
}
