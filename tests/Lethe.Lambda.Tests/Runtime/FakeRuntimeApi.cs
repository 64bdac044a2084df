using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lethe.Lambda.Tests.Runtime;

public sealed record PostedResult(string RequestId, string Kind, string Body, string? ErrorTypeHeader);

/// <summary>
/// A Runtime API (2018-06-01) served over real HTTP by Kestrel in the test: hands out queued events on <c>next</c>
/// (long-polling while the queue is empty) and records every response, function error and init error.
/// </summary>
public sealed class FakeRuntimeApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<(string Id, long DeadlineMs, string Payload)> _events = Channel.CreateUnbounded<(string, long, string)>();
    private readonly ConcurrentQueue<PostedResult> _posted = new();
    private readonly Channel<PostedResult> _postedSignal = Channel.CreateUnbounded<PostedResult>();

    private FakeRuntimeApi(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyCollection<PostedResult> Posted => _posted;

    public static async Task<FakeRuntimeApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var api = new FakeRuntimeApi(app);

        app.MapGet("/2018-06-01/runtime/invocation/next", async (HttpContext context) =>
        {
            var (id, deadline, payload) = await api._events.Reader.ReadAsync(context.RequestAborted);
            context.Response.Headers["Lambda-Runtime-Aws-Request-Id"] = id;
            context.Response.Headers["Lambda-Runtime-Deadline-Ms"] = deadline.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:us-east-1:123456789012:function:probe";
            context.Response.Headers["Lambda-Runtime-Trace-Id"] = "Root=1-5759e988-bd862e3fe1be46a994272793";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(payload);
        });
        app.MapPost("/2018-06-01/runtime/invocation/{id}/response", (string id, HttpContext context) => api.RecordAsync(id, "response", context));
        app.MapPost("/2018-06-01/runtime/invocation/{id}/error", (string id, HttpContext context) => api.RecordAsync(id, "error", context));
        app.MapPost("/2018-06-01/runtime/init/error", (Delegate)((HttpContext context) => api.RecordAsync("init", "init-error", context)));

        await app.StartAsync();
        api.BaseAddress = new Uri(app.Urls.First() + "/");
        return api;
    }

    public void Enqueue(string requestId, DateTimeOffset deadline, string payload) =>
        _events.Writer.TryWrite((requestId, deadline.ToUnixTimeMilliseconds(), payload));

    /// <summary>Waits (with a deadline) until <paramref name="count"/> results have been posted.</summary>
    public async Task<IReadOnlyList<PostedResult>> WaitForResultsAsync(int count, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var seen = new List<PostedResult>();
        while (seen.Count < count)
        {
            seen.Add(await _postedSignal.Reader.ReadAsync(deadline.Token));
        }

        return seen;
    }

    private async Task<IResult> RecordAsync(string id, string kind, HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var header = context.Request.Headers["Lambda-Runtime-Function-Error-Type"].FirstOrDefault();
        var result = new PostedResult(id, kind, body, header);
        _posted.Enqueue(result);
        _postedSignal.Writer.TryWrite(result);
        return Results.Accepted();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
