using System.Text.Json;
using Lethe.Lambda.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lethe.Lambda.Tests.Logging;

public sealed class PowertoolsJsonFormatterTests
{
    private static JsonElement Format(Action<IExternalScopeProvider> scopes, string message, Exception? exception = null)
    {
        var options = new PowertoolsJsonFormatterOptions { Service = "lethe-test" };
        using var formatter = new PowertoolsJsonFormatter(new StaticOptionsMonitor(options));
        var provider = new LoggerExternalScopeProvider();
        scopes(provider);
        using var writer = new StringWriter();
        var state = new List<KeyValuePair<string, object?>> { new("JobId", "job-7"), new("{OriginalFormat}", "Started {JobId}") };
        formatter.Write(new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(LogLevel.Warning, "Lethe.Test", default, state, exception, (_, _) => message), provider, writer);
        var line = writer.ToString();
        line.Should().EndWith(Environment.NewLine).And.Subject.TrimEnd().Should().NotContain("\n", "each entry is exactly one line");
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    [Fact]
    public void Write_emits_the_Powertools_field_names_with_invocation_scope()
    {
        var json = Format(p => p.Push(LogScope.ForInvocation("req-9", "corr-1", coldStart: true)), "Started job-7");

        json.GetProperty("level").GetString().Should().Be("Warning");
        json.GetProperty("message").GetString().Should().Be("Started job-7");
        json.GetProperty("service").GetString().Should().Be("lethe-test");
        json.GetProperty("function_request_id").GetString().Should().Be("req-9");
        json.GetProperty("correlation_id").GetString().Should().Be("corr-1");
        json.GetProperty("cold_start").GetBoolean().Should().BeTrue();
        json.GetProperty("JobId").GetString().Should().Be("job-7");
        DateTimeOffset.Parse(json.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        json.TryGetProperty("{OriginalFormat}", out _).Should().BeFalse();
    }

    [Fact]
    public void Write_with_exception_adds_type_and_message()
    {
        var json = Format(_ => { }, "failed", new InvalidOperationException("boom"));

        json.GetProperty("exception").GetString().Should().Be("System.InvalidOperationException");
        json.GetProperty("exception_message").GetString().Should().Be("boom");
    }
}

public sealed class PowertoolsRedactionTests
{
    [Fact]
    public void Write_passes_message_scope_and_state_values_through_the_redactor()
    {
        var options = new PowertoolsJsonFormatterOptions { Service = "t", Redact = s => s.Replace("anna", "[x]", StringComparison.Ordinal) };
        using var formatter = new PowertoolsJsonFormatter(new StaticOptionsMonitor(options));
        var scopes = new LoggerExternalScopeProvider();
        scopes.Push(new List<KeyValuePair<string, object?>> { new("RequestPath", "/v1/tenants/t1/subjects/anna/records") });
        var state = new List<KeyValuePair<string, object?>> { new("Subject", "anna") };
        using var writer = new StringWriter();

        formatter.Write(new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(LogLevel.Error, "c", default, state, new InvalidOperationException("no anna"), (_, _) => "failed for anna"), scopes, writer);

        writer.ToString().Should().NotContain("anna").And.Contain("[x]");
    }
}

/// <summary>Options that never change, for formatter tests.</summary>
internal sealed class StaticOptionsMonitor(PowertoolsJsonFormatterOptions value) : IOptionsMonitor<PowertoolsJsonFormatterOptions>
{
    public PowertoolsJsonFormatterOptions CurrentValue => value;

    public PowertoolsJsonFormatterOptions Get(string? name) => value;

    public IDisposable? OnChange(Action<PowertoolsJsonFormatterOptions, string?> listener) => null;
}
