using System.CommandLine;
using System.CommandLine.Parsing;

namespace Lethe.Cli.Commands;

/// <summary>Options the commands share, parsed with clear errors instead of exceptions.</summary>
public static class CliOptions
{
    /// <summary>An absolute http(s) URL (a running <c>./lethe up</c>), or a parse error that says what is expected.</summary>
    public static Option<Uri?> BaseUrl(string description) => new("--url")
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            {
                // A base URL without a trailing slash would drop its last path segment when relative paths are resolved.
                return url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
            }

            result.AddError($"--url must be an absolute http or https URL, for example http://localhost:8080 (got '{Short(text)}').");
            return null;
        },
    };

    private static string Short(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
