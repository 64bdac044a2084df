using System.Text.RegularExpressions;

namespace Lethe.Aws.Workflows;

/// <summary>
/// Fills the <c>${Name}</c> placeholders of an ASL file, exactly as CloudFormation's <c>DefinitionSubstitutions</c> does in AWS,
/// so the local cloud deploys the very file the CDK app deploys. A placeholder without a value is an error, never left in.
/// </summary>
public static partial class AslSubstitution
{
    /// <summary>The placeholder for a Lambda function's ARN: <c>${Function_ping}</c>.</summary>
    public static string FunctionPlaceholder(string handlerName) => $"Function_{handlerName.Replace('-', '_')}";

    public static string Apply(string definition, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(values);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        var result = Placeholder().Replace(definition, m =>
        {
            var name = m.Groups["name"].Value;
            if (values.TryGetValue(name, out var value))
            {
                return value;
            }

            missing.Add(name);
            return m.Value;
        });
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"The workflow definition uses placeholders without values: {string.Join(", ", missing)}.");
        }

        return result;
    }

    public static IReadOnlySet<string> Placeholders(string definition)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match m in Placeholder().Matches(definition))
        {
            names.Add(m.Groups["name"].Value);
        }

        return names;
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_]+)\}")]
    private static partial Regex Placeholder();
}
