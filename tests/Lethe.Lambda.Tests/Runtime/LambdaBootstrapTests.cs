using System.Text.Json;
using Lethe.Domain.Errors;
using Lethe.Lambda.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Lambda.Tests.Runtime;

public sealed class LambdaBootstrapTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-25T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly CancellationTokenSource _stop = new();
    private FakeRuntimeApi _api = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _api = await FakeRuntimeApi.StartAsync();
        _http = new HttpClient { BaseAddress = _api.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        ErrorTypes.Register(ex => ex is LetheException lethe ? lethe.ErrorType : null);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _http.Dispose();
        await _api.DisposeAsync();
        _stop.Dispose();
    }

    private Task<int> RunAsync(Func<ILambdaHandler> factory) =>
        new LambdaBootstrap(new RuntimeApiClient(_http, "probe"), _clock, NullLogger.Instance).RunAsync(factory, _stop.Token);

    private sealed class DelegateHandler(Func<ReadOnlyMemory<byte>, ILambdaContext, CancellationToken, Task<byte[]>> body) : ILambdaHandler
    {
        public Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken) =>
            body(payload, context, cancellationToken);
    }

    [Fact]
    public async Task Each_event_is_answered_on_its_own_request_id_with_the_handler_output()
    {
        _api.Enqueue("req-1", _clock.GetUtcNow().AddMinutes(1), """{"n":1}""");
        _api.Enqueue("req-2", _clock.GetUtcNow().AddMinutes(1), """{"n":2}""");
        var loop = RunAsync(() => new DelegateHandler((payload, _, _) =>
        {
            var n = JsonDocument.Parse(payload).RootElement.GetProperty("n").GetInt32();
            return Task.FromResult(JsonSerializer.SerializeToUtf8Bytes(new { doubled = n * 2 }));
        }));

        var results = await _api.WaitForResultsAsync(2);

        results.Select(r => (r.RequestId, r.Kind, r.Body)).Should().Equal(
            ("req-1", "response", """{"doubled":2}"""),
            ("req-2", "response", """{"doubled":4}"""));
        await _stop.CancelAsync();
        (await loop).Should().Be(0);
    }

    [Fact]
    public async Task The_handler_sees_the_request_id_deadline_and_function_arn_of_the_Runtime_API()
    {
        var deadline = _clock.GetUtcNow().AddSeconds(42);
        _api.Enqueue("req-ctx", deadline, "{}");
        ILambdaContext? seen = null;
        _ = RunAsync(() => new DelegateHandler((_, context, _) =>
        {
            seen = context;
            return Task.FromResult("{}"u8.ToArray());
        }));

        await _api.WaitForResultsAsync(1);

        seen!.RequestId.Should().Be("req-ctx");
        seen.Deadline.Should().Be(deadline);
        seen.InvokedFunctionArn.Should().Be("arn:aws:lambda:us-east-1:123456789012:function:probe");
        seen.FunctionName.Should().Be("probe");
        seen.TraceId.Should().StartWith("Root=");
        seen.RemainingTime(_clock).Should().Be(TimeSpan.FromSeconds(42));
    }

    [Fact]
    public async Task A_typed_failure_is_posted_as_a_function_error_with_its_errorType_and_the_loop_goes_on()
    {
        _api.Enqueue("req-bad", _clock.GetUtcNow().AddMinutes(1), "{}");
        _api.Enqueue("req-good", _clock.GetUtcNow().AddMinutes(1), "{}");
        var calls = 0;
        _ = RunAsync(() => new DelegateHandler((_, _, _) =>
            ++calls == 1 ? throw new TransientException("the table is throttled") : Task.FromResult("{}"u8.ToArray())));

        var results = await _api.WaitForResultsAsync(2);

        results[0].Kind.Should().Be("error");
        results[0].ErrorTypeHeader.Should().Be("Lethe.Transient");
        using var error = JsonDocument.Parse(results[0].Body);
        error.RootElement.GetProperty("errorType").GetString().Should().Be("Lethe.Transient");
        error.RootElement.GetProperty("errorMessage").GetString().Should().Be("the table is throttled");
        error.RootElement.GetProperty("stackTrace").ValueKind.Should().Be(JsonValueKind.Array);
        results[1].Should().Be(new PostedResult("req-good", "response", "{}", null));
    }

    [Fact]
    public async Task A_handler_that_cannot_be_created_is_reported_as_an_init_error_and_the_process_exits_1()
    {
        var registry = new HandlerRegistry();

        var exit = await RunAsync(() => registry.Resolve("no-such-handler"));

        exit.Should().Be(1);
        var posted = _api.Posted.Single();
        posted.Kind.Should().Be("init-error");
        posted.ErrorTypeHeader.Should().Be("Lethe.UnknownHandler");
        posted.Body.Should().Contain("no-such-handler");
    }

    [Fact]
    public async Task A_handler_still_running_at_the_deadline_is_cancelled_before_it_and_reported()
    {
        _api.Enqueue("req-slow", _clock.GetUtcNow().AddSeconds(10), "{}");
        var started = new TaskCompletionSource();
        _ = RunAsync(() => new DelegateHandler(async (_, _, ct) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return [];
        }));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        _clock.Advance(TimeSpan.FromSeconds(10) - LambdaBootstrap.DeadlineMargin);
        var result = (await _api.WaitForResultsAsync(1)).Single();

        result.Kind.Should().Be("error");
        result.ErrorTypeHeader.Should().Be(nameof(TaskCanceledException));
    }

    [Fact]
    public async Task Malformed_input_to_a_typed_handler_is_a_Lethe_InvalidInput_error()
    {
        _api.Enqueue("req-malformed", _clock.GetUtcNow().AddMinutes(1), "{ this is not json");
        _ = RunAsync(() => new EchoHandler());

        var result = (await _api.WaitForResultsAsync(1)).Single();

        result.ErrorTypeHeader.Should().Be("Lethe.InvalidInput");
    }
}
