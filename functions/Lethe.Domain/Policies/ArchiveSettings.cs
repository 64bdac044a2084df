namespace Lethe.Domain.Policies;

/// <summary>The S3 archive tier an archived item goes to (API.md: <c>GLACIER</c> or <c>DEEP_ARCHIVE</c>).</summary>
public enum ArchiveTier
{
    Glacier,
    DeepArchive,
}

/// <summary>The names of <see cref="ArchiveTier"/> in the API, in S3 (storage class) and on the <c>lethe:tier</c> tag.</summary>
public static class ArchiveTiers
{
    public static string Name(ArchiveTier tier) => tier == ArchiveTier.DeepArchive ? "DEEP_ARCHIVE" : "GLACIER";

    /// <summary>The value of the <c>lethe:tier</c> tag the data bucket's lifecycle rules act on (DESIGN.md, S3 buckets).</summary>
    public static string Tag(ArchiveTier tier) => tier == ArchiveTier.DeepArchive ? "deep-archive" : "archive";

    public static ArchiveTier? Parse(string? name) => name switch
    {
        "GLACIER" => ArchiveTier.Glacier,
        "DEEP_ARCHIVE" => ArchiveTier.DeepArchive,
        _ => null,
    };

    /// <summary>
    /// What S3 charges for at least, whatever happens earlier (Glacier Flexible Retrieval 90 days, Deep Archive 180): an archive
    /// period shorter than this would pay for time it does not keep.
    /// </summary>
    public static IsoDuration MinimumPeriod(ArchiveTier tier) => IsoDuration.FromDays(tier == ArchiveTier.DeepArchive ? 180 : 90);
}

/// <summary>
/// How one category archives: once an item's retention has ended, the sweep moves it to <see cref="Tier"/> instead of purging it,
/// and it stays archived for <see cref="After"/> (its archive period), after which the sweep purges it. Archived data is not
/// readable until an authorized retrieval; it still has a defined end.
/// </summary>
public sealed record ArchiveRule(IsoDuration After, ArchiveTier Tier);

/// <summary>A tenant's archive settings: the categories that archive (none by default: every due item is purged).</summary>
public sealed record ArchiveSettings(IReadOnlyDictionary<string, ArchiveRule> Categories)
{
    public static ArchiveSettings None { get; } = new(new Dictionary<string, ArchiveRule>(StringComparer.Ordinal));

    /// <summary>Archiving categories a tenant may name (the settings live on the tenant's one item).</summary>
    public const int MaxCategories = 100;

    public ArchiveRule? For(string category) => Categories.TryGetValue(category, out var rule) ? rule : null;

    /// <summary>
    /// Validates <c>PUT …/settings/archive</c>: category names, <c>after</c> an ISO 8601 duration from the tier's minimum
    /// storage period (P90D, P180D for DEEP_ARCHIVE) to the maximum retention (P7Y), <c>tier</c> GLACIER or DEEP_ARCHIVE. Every
    /// error keyed by its field (<c>categories.transcript.after</c>); no settings when there is any.
    /// </summary>
    public static (ArchiveSettings? Settings, IReadOnlyDictionary<string, string[]> Errors) Validate(IReadOnlyDictionary<string, (string? After, string? Tier)?>? categories)
    {
        var errors = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        if (categories is null)
        {
            errors["categories"] = ["Give categories, e.g. {\"transcript\":{\"after\":\"P90D\",\"tier\":\"GLACIER\"}} ({} archives nothing)."];
            return (null, errors);
        }

        if (categories.Count > MaxCategories)
        {
            errors["categories"] = [$"At most {MaxCategories} categories archive; {categories.Count} were given."];
            return (null, errors);
        }

        var parsed = new SortedDictionary<string, ArchiveRule>(StringComparer.Ordinal);
        foreach (var (category, rule) in categories)
        {
            var field = $"categories.{category}";
            if (!CategoryName.IsValid(category))
            {
                errors[field] = [$"'{category}' is not a category name: [a-z][a-z0-9_]{{1,39}}."];
                continue;
            }

            if (rule is not { } given)
            {
                errors[field] = ["Give after and tier, e.g. {\"after\":\"P90D\",\"tier\":\"GLACIER\"}."];
                continue;
            }

            var tier = ArchiveTiers.Parse(given.Tier);
            if (tier is null)
            {
                errors[$"{field}.tier"] = [$"'{given.Tier}' is not an archive tier: GLACIER or DEEP_ARCHIVE."];
            }

            if (!IsoDuration.TryParse(given.After, out var after))
            {
                errors[$"{field}.after"] = [$"'{given.After}' is not an ISO 8601 duration such as P90D or P1Y."];
            }
            else if (tier is { } known && after.TotalDays < ArchiveTiers.MinimumPeriod(known).TotalDays)
            {
                errors[$"{field}.after"] = [$"{given.After} is shorter than {ArchiveTiers.Name(known)}'s minimum storage period of {ArchiveTiers.MinimumPeriod(known)}."];
            }
            else if (after.TotalDays > LifecyclePolicy.MaximumRetention.TotalDays)
            {
                errors[$"{field}.after"] = [$"{given.After} is longer than the maximum retention of {LifecyclePolicy.MaximumRetention}."];
            }
            else if (tier is { } chosen)
            {
                parsed[category] = new ArchiveRule(after, chosen);
            }
        }

        return errors.Count > 0 ? (null, errors) : (new ArchiveSettings(parsed), errors);
    }
}
