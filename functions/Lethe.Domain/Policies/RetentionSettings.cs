using System.Text.RegularExpressions;

namespace Lethe.Domain.Policies;

/// <summary>A tenant's retention: a default and per-category overrides, each within the policy bounds.</summary>
public sealed record RetentionSettings(IsoDuration Default, IReadOnlyDictionary<string, IsoDuration> Categories)
{
    public static RetentionSettings Initial { get; } = new(LifecyclePolicy.DefaultRetention, new Dictionary<string, IsoDuration>());

    public IsoDuration For(string category) => Categories.TryGetValue(category, out var retention) ? retention : Default;

    /// <summary>
    /// Validates a requested change (API.md: below P90D, above P7Y or unparseable → 400 naming each bad field). Returns the
    /// settings, or every error keyed by its field (<c>default</c>, <c>categories.transcript</c>) and nothing else.
    /// </summary>
    public static (RetentionSettings? Settings, IReadOnlyDictionary<string, string[]> Errors) Validate(string? defaultText, IReadOnlyDictionary<string, string?>? categories)
    {
        var errors = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        var parsedDefault = Check("default", defaultText ?? LifecyclePolicy.DefaultRetention.ToString(), errors);
        var parsed = new SortedDictionary<string, IsoDuration>(StringComparer.Ordinal);
        foreach (var (category, text) in categories ?? new Dictionary<string, string?>())
        {
            var field = $"categories.{category}";
            if (!CategoryName.IsValid(category))
            {
                errors[field] = [$"'{category}' is not a category name: [a-z][a-z0-9_]{{1,39}}."];
                continue;
            }

            if (Check(field, text, errors) is { } value)
            {
                parsed[category] = value;
            }
        }

        return errors.Count > 0 || parsedDefault is null
            ? (null, errors)
            : (new RetentionSettings(parsedDefault.Value, parsed), errors);
    }

    private static IsoDuration? Check(string field, string? text, SortedDictionary<string, string[]> errors)
    {
        if (!IsoDuration.TryParse(text, out var duration))
        {
            errors[field] = [$"'{text}' is not an ISO 8601 duration such as P90D or P2Y."];
            return null;
        }

        if (duration.TotalDays < LifecyclePolicy.MinimumRetention.TotalDays)
        {
            errors[field] = [$"{text} is shorter than the minimum retention of {LifecyclePolicy.MinimumRetention}."];
            return null;
        }

        if (duration.TotalDays > LifecyclePolicy.MaximumRetention.TotalDays)
        {
            errors[field] = [$"{text} is longer than the maximum retention of {LifecyclePolicy.MaximumRetention}."];
            return null;
        }

        return duration;
    }
}

/// <summary>Data category names: <c>[a-z][a-z0-9_]{1,39}</c> (API.md).</summary>
public static partial class CategoryName
{
    public const string Transcript = "transcript";
    public const string Insight = "insight";
    public const string PrivateNote = "private_note";
    public const string Journal = "journal";

    /// <summary>Categories whose fields are always encrypted field by field (API.md, Records).</summary>
    public static readonly IReadOnlySet<string> AlwaysEncrypted = new HashSet<string>(StringComparer.Ordinal) { Transcript, Insight, PrivateNote, Journal };

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex("^[a-z][a-z0-9_]{1,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
