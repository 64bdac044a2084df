using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lethe.Tests.Integration.Fixtures;

/// <summary>One call a connector's system received: the body as sent, its headers, and whether its signature checked out.</summary>
public sealed record ReceivedCall(string Body, string? Timestamp, string? Signature, bool SignatureValid, DateTimeOffset ReceivedAt)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}

/// <summary>
/// A tenant's other system on this machine (a loopback HTTP listener): it checks each call's signature as a receiver would,
/// with its own HMAC-SHA256 over <c>timestamp + "." + body</c> (not Lethe's code), answers 200, and then, if told to, runs an
/// answer (the callback) after its response is sent, as a real system would answer later.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _secret;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<ReceivedCall> _calls = new();

    private WebhookReceiver(string secret, int port)
    {
        _secret = secret;
        Url = $"http://127.0.0.1:{port}/hooks/erase";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>Runs after a call was answered 200; null: the system never answers.</summary>
    public Func<ReceivedCall, Task>? Answer { get; set; }

    public IReadOnlyList<ReceivedCall> Calls => [.. _calls];

    public static WebhookReceiver Start(string secret)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new WebhookReceiver(secret, port);
    }

    /// <summary>What a receiver computes: <c>sha256=</c> and the hex HMAC-SHA256 of <c>timestamp + "." + body</c> under the secret.</summary>
    public static string ExpectedSignature(string secret, string timestamp, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var timestamp = context.Request.Headers["X-Lethe-Timestamp"];
            var signature = context.Request.Headers["X-Lethe-Signature"];
            var valid = timestamp is not null && signature is not null
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(ExpectedSignature(_secret, timestamp, body)), Encoding.ASCII.GetBytes(signature));
            var call = new ReceivedCall(body, timestamp, signature, valid, DateTimeOffset.UtcNow);
            _calls.Enqueue(call);
            context.Response.StatusCode = valid ? 200 : 401;
            context.Response.Close();
            if (valid && Answer is { } answer)
            {
                _ = Task.Run(() => answer(call));
            }
        }
    }

    public static long Seconds(string timestamp) => long.Parse(timestamp, CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }

        _listener.Close();
        _stop.Dispose();
    }
}
