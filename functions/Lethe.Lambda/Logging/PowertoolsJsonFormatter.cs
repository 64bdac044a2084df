using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Lethe.Lambda.Logging;

public sealed class PowertoolsJsonFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>The <c>service</c> field; defaults to <c>POWERTOOLS_SERVICE_NAME</c>, then "lethe".</summary>
    public string Service { get; set; } = Environment.GetEnvironmentVariable("POWERTOOLS_SERVICE_NAME") ?? "lethe";

    /// <summary>Rewrites every string written to the log (message and values) before it leaves the process; null writes as is.</summary>
    public Func<string, string>? Redact { get; set; }
}

/// <summary>
/// One JSON object per line with the Powertools field names (<c>level</c>, <c>message</c>, <c>timestamp</c>, <c>service</c>,
/// <c>cold_start</c>, <c>function_request_id</c>, <c>correlation_id</c>), scope values flattened into the object.
/// </summary>
public sealed class PowertoolsJsonFormatter : ConsoleFormatter, IDisposable
{
    public const string FormatterName = "powertools";

    private readonly IDisposable? _reload;
    private PowertoolsJsonFormatterOptions _options;

    public PowertoolsJsonFormatter(IOptionsMonitor<PowertoolsJsonFormatterOptions> options) : base(FormatterName)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.CurrentValue;
        _reload = options.OnChange(o => _options = o);
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("level", LevelName(logEntry.LogLevel));
            json.WriteString("message", Redacted(message));
            json.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("service", _options.Service);
            json.WriteString("logger", logEntry.Category);
            if (logEntry.Exception is { } exception)
            {
                json.WriteString("exception", exception.GetType().FullName);
                json.WriteString("exception_message", Redacted(exception.Message));
                json.WriteString("stack_trace", exception.StackTrace);
            }

            var written = new HashSet<string>(StringComparer.Ordinal) { "level", "message", "timestamp", "service", "logger" };
            scopeProvider?.ForEachScope((scope, writer) => WriteProperties(scope, writer, written, _options.Redact), json);
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> state)
            {
                WriteProperties(state, json, written, _options.Redact);
            }

            json.WriteEndObject();
        }

        textWriter.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    public void Dispose() => _reload?.Dispose();

    private string? Redacted(string? value) => value is null || _options.Redact is null ? value : _options.Redact(value);

    private static void WriteProperties(object? scope, Utf8JsonWriter json, HashSet<string> written, Func<string, string>? redact)
    {
        if (scope is not IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            return;
        }

        foreach (var (key, value) in pairs)
        {
            // "{OriginalFormat}" is the template itself; the rendered message is already written.
            if (key == "{OriginalFormat}" || !written.Add(key))
            {
                continue;
            }

            switch (value)
            {
                case null:
                    json.WriteNull(key);
                    break;
                case bool b:
                    json.WriteBoolean(key, b);
                    break;
                case int or long or short or byte:
                    json.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                    break;
                case double or float or decimal:
                    json.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                    break;
                default:
                    var text = Convert.ToString(value, CultureInfo.InvariantCulture);
                    json.WriteString(key, text is null || redact is null ? text : redact(text));
                    break;
            }
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "Trace",
        LogLevel.Debug => "Debug",
        LogLevel.Information => "Information",
        LogLevel.Warning => "Warning",
        LogLevel.Error => "Error",
        LogLevel.Critical => "Critical",
        _ => "None",
    };
}

public static class PowertoolsLoggingExtensions
{
    /// <summary>Console logging as Powertools-style JSON lines, scopes included.</summary>
    public static ILoggingBuilder AddPowertoolsJsonConsole(this ILoggingBuilder builder, Action<PowertoolsJsonFormatterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddConsole(o => o.FormatterName = PowertoolsJsonFormatter.FormatterName);
        // Registered by hand: AddConsoleFormatter binds options from configuration through reflection, which trimming breaks.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, PowertoolsJsonFormatter>());
        builder.Services.Configure<PowertoolsJsonFormatterOptions>(o =>
        {
            o.IncludeScopes = true;
            configure?.Invoke(o);
        });
        return builder;
    }
}
