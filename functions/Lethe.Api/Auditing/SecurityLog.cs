using System.Text.Json;
using System.Threading.Channels;
using Lethe.Api.Auth;
using Lethe.Aws.Logs;
using Lethe.Catalog;
using Lethe.Domain;

namespace Lethe.Api.Auditing;

/// <summary>One denied or refused request, as the security log keeps it: never a body, a raw path or a subject id.</summary>
public sealed record SecurityEvent(string At, int Status, string Reason, string Method, string Route, string? TenantId, string? Actor, string? Role, string? CorrelationId);

/// <summary>
/// The security log (DESIGN.md, Policy figures: 12 months): every denied (401, 403) or refused (429) request goes to its own log
/// group (<c>LETHE_LOG_GROUP_SECURITY</c>), kept apart from the 90-day application logs. The route is the endpoint's template
/// (a raw path can carry a subject id); the actor is the audit name (never a subject's id). Under Lambda, whose process is
/// frozen between requests, the event is sent before the response completes; elsewhere it is queued and
/// <see cref="SecurityLogWriter"/> sends the queue in batches. Without a group the events go to the application log, so none
/// is lost silently; a send that fails is logged with the event.
/// </summary>
public sealed class SecurityLog(IHttpClientFactory http, TimeProvider clock, ILogger<SecurityLog> logger) : IDisposable
{
    private const int Capacity = 10_000;
    private readonly string? _group = Environment.GetEnvironmentVariable(ResourceCatalog.SecurityLog.NameVariable);
    private readonly bool _inline = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") is { Length: > 0 };
    private readonly string _stream = $"api-{DateTime.UtcNow:yyyy-MM-dd}-{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _streamGate = new(1, 1);
    private CloudWatchLogsClient? _client;
    private bool _streamReady;

    private readonly Channel<SecurityEvent> _events = Channel.CreateBounded<SecurityEvent>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    public ChannelReader<SecurityEvent> Events => _events.Reader;

    /// <summary>The middleware: records the request once its status is known.</summary>
    public async Task RecordAsync(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        await next(http);
        var reason = http.Response.StatusCode switch
        {
            StatusCodes.Status401Unauthorized => "unauthenticated",
            StatusCodes.Status403Forbidden => "forbidden",
            StatusCodes.Status429TooManyRequests => "throttled",
            _ => null,
        };
        if (reason is null)
        {
            return;
        }

        var principal = http.Items[TenantGuard.CallerItem] as Domain.Security.Principal;
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
        var denied = new SecurityEvent(
            Timestamps.Format(clock.GetUtcNow()), http.Response.StatusCode, reason, http.Request.Method, route,
            http.Request.RouteValues.TryGetValue("tenantId", out var tenant) ? tenant as string : null,
            principal?.AuditName, principal?.PrimaryRole, http.Items[ApiHost.CorrelationHeader] as string);
        if (_inline)
        {
            await SendOrLogAsync([denied], CancellationToken.None);
        }
        else
        {
            _events.Writer.TryWrite(denied);
        }
    }

    /// <summary>Sends events to the log group (or, without one, to the application log); a failure is logged with the events.</summary>
    public async Task SendOrLogAsync(IReadOnlyList<SecurityEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        try
        {
            if (_group is null)
            {
                foreach (var denied in events)
                {
                    logger.LogWarning("Security event (no security log group configured): {Event}", Serialize(denied));
                }

                return;
            }

            _client ??= CloudWatchLogsClient.FromEnvironment(http.CreateClient("logs"));
            if (!_streamReady)
            {
                await _streamGate.WaitAsync(cancellationToken);
                try
                {
                    if (!_streamReady)
                    {
                        await _client.CreateLogStreamAsync(_group, _stream, cancellationToken);
                        _streamReady = true;
                    }
                }
                finally
                {
                    _streamGate.Release();
                }
            }

            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await _client.PutLogEventsAsync(_group, _stream, events.Select(e => new InputLogEvent(now, Serialize(e))).ToList(), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            foreach (var denied in events)
            {
                logger.LogError(ex, "The security log could not be written; the event: {Event}", Serialize(denied));
            }
        }
    }

    public void Dispose() => _streamGate.Dispose();

    private static string Serialize(SecurityEvent e) => JsonSerializer.Serialize(e, ApiJsonContext.Default.SecurityEvent);
}

/// <summary>Sends the security log's queue (outside Lambda) up to 500 events at a time, as they come.</summary>
public sealed class SecurityLogWriter(SecurityLog log) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<SecurityEvent>(BatchSize);
        try
        {
            while (await log.Events.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < BatchSize && log.Events.TryRead(out var next))
                {
                    batch.Add(next);
                }

                await log.SendOrLogAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is queued goes with the process (the application log has each request).
        }
    }
}
