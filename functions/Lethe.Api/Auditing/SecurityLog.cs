using System.Text.Json;
using System.Threading.Channels;
using Lethe.Api.Auth;
using Lethe.Aws.Logs;
using Lethe.Aws.Protocol;
using Lethe.Catalog;
using Lethe.Domain;

namespace Lethe.Api.Auditing;

/// <summary>One denied or refused request, as the security log keeps it: never a body, a raw path or a subject id.</summary>
public sealed record SecurityEvent(string At, int Status, string Reason, string Method, string Route, string? TenantId, string? Actor, string? Role, string? CorrelationId);

/// <summary>
/// The security log (DESIGN.md, Policy figures: 12 months): every denied (401, 403) or refused (429) request goes to its own log
/// group (<c>LETHE_LOG_GROUP_SECURITY</c>), kept apart from the 90-day application logs. The route is the endpoint's template
/// (a raw path can carry a subject id); the actor is the audit name (never a subject's id); a tenant id only when well formed.
/// A request never waits for the log: its event is queued (at most 10,000; what a flood adds beyond that is counted and the
/// count logged, the earlier evidence kept) and <see cref="SecurityLogWriter"/> sends the queue in batches with a short
/// timeout and no retries. Without a group the events go to the application log; a send that fails is logged with its events.
/// Under Lambda the queue is sent while the function runs (a frozen process sends it on its next request).
/// </summary>
public sealed class SecurityLog(IHttpClientFactory http, TimeProvider clock, ILogger<SecurityLog> logger) : IDisposable
{
    private const int Capacity = 10_000;

    /// <summary>The HTTP client the writer uses: a short timeout, so a slow CloudWatch never holds the queue for long.</summary>
    public const string HttpClientName = "security-log";
    private readonly string? _group = Environment.GetEnvironmentVariable(ResourceCatalog.SecurityLog.NameVariable);
    private long _dropped;
    private readonly string _stream = $"api-{DateTime.UtcNow:yyyy-MM-dd}-{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _streamGate = new(1, 1);
    private CloudWatchLogsClient? _client;
    private bool _streamReady;

    private readonly Channel<SecurityEvent> _events = Channel.CreateBounded<SecurityEvent>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
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
            http.Request.RouteValues.TryGetValue("tenantId", out var tenant) && tenant is string id ? (Domain.Tenancy.TenantId.IsWellFormed(id) ? id : "(malformed)") : null,
            principal?.AuditName, principal?.PrimaryRole, http.Items[ApiHost.CorrelationHeader] as string);
        if (!_events.Writer.TryWrite(denied))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>How many events a full queue refused since the last call (and resets the count).</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

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

            _client ??= CloudWatchLogsClient.FromEnvironment(http.CreateClient(HttpClientName), AwsRetryPolicy.Once);
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
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
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
public sealed class SecurityLogWriter(SecurityLog log, ILogger<SecurityLogWriter> logger) : BackgroundService
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
                if (log.TakeDropped() is > 0 and var dropped)
                {
                    logger.LogWarning("{Dropped} security event(s) were dropped: the security log's queue was full (a flood of refused requests).", dropped);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is queued goes with the process (the application log has each request).
        }
    }
}
