using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.Aws.Connectors;

namespace Lethe.Aws.Tests.Connectors;

/// <summary>
/// The SSRF rules where they are enforced, at connect time: a loopback listener stands for an internal service. Outside the
/// local stage no call reaches it, whether the URL names it by address or by a name that resolves to it.
/// </summary>
public sealed class HttpConnectorTransportTests : IDisposable
{
    private readonly TcpListener _internal = new(IPAddress.Loopback, 0);
    private int _accepted;

    public HttpConnectorTransportTests()
    {
        _internal.Start();
        _ = AcceptAsync();
    }

    private int Port => ((IPEndPoint)_internal.LocalEndpoint).Port;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string> Headers = new() { ["X-Lethe-Timestamp"] = "1767225600", ["X-Lethe-Signature"] = "sha256=00" };

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task Outside_the_local_stage_a_call_never_connects_to_an_internal_address(string host)
    {
        using var transport = new HttpConnectorTransport(allowLoopback: false, TimeSpan.FromSeconds(5));

        var delivery = await transport.PostAsync(new Uri($"http://{host}:{Port}/hook"), Headers, "{}", Ct);

        delivery.Delivered.Should().BeFalse();
        delivery.Outcome.Should().Contain("may not reach");
        Volatile.Read(ref _accepted).Should().Be(0, "the internal listener saw no connection");
    }

    [Fact]
    public async Task On_the_local_stage_a_call_reaches_a_loopback_receiver_and_reports_its_status()
    {
        using var transport = new HttpConnectorTransport(allowLoopback: true, TimeSpan.FromSeconds(5));

        var delivery = await transport.PostAsync(new Uri($"http://127.0.0.1:{Port}/hook"), Headers, "{}", Ct);

        delivery.Should().Be(new Lethe.Domain.Connectors.ConnectorDelivery(false, "HTTP 503"), "the stand-in answers 503, which is not a delivery");
        Volatile.Read(ref _accepted).Should().Be(1);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _internal.AcceptTcpClientAsync();
                Interlocked.Increment(ref _accepted);
                var stream = client.GetStream();
                var buffer = new byte[4096];
                _ = await stream.ReadAsync(buffer);
                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
    }

    public void Dispose() => _internal.Stop();
}

/// <summary>A redirect is an answer, not a delivery: it is never followed (it could point anywhere, an internal address included).</summary>
public sealed class HttpConnectorTransportRedirectTests
{
    [Fact]
    public async Task A_redirect_is_not_followed_and_is_not_a_delivery()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var connections = 0;
        var serving = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
                    Interlocked.Increment(ref connections);
                    var stream = client.GetStream();
                    _ = await stream.ReadAsync(new byte[4096], TestContext.Current.CancellationToken);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), TestContext.Current.CancellationToken);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
            }
        }, TestContext.Current.CancellationToken);
        using var transport = new HttpConnectorTransport(allowLoopback: true, TimeSpan.FromSeconds(5));

        var delivery = await transport.PostAsync(new Uri($"http://127.0.0.1:{port}/hook"), new Dictionary<string, string>(), "{}", TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);

        delivery.Should().Be(new Lethe.Domain.Connectors.ConnectorDelivery(false, "HTTP 302"));
        Volatile.Read(ref connections).Should().Be(1, "the Location was not visited");
        listener.Stop();
        await serving;
    }
}
