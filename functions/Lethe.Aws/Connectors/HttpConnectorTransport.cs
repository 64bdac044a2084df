using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.Domain.Connectors;

namespace Lethe.Aws.Connectors;

/// <summary>
/// Posts connector calls over HTTP with the SSRF rules enforced where they matter, at connect time: the host is resolved here
/// and only an address <see cref="ConnectorRules.MayConnect"/> allows is dialled (a public name that resolves to 10.0.0.1 or
/// 169.254.169.254 is refused), redirects are not followed, and nothing of the response but its status is read.
/// </summary>
public sealed class HttpConnectorTransport : IConnectorTransport, IDisposable
{
    private readonly HttpClient _client;

    public HttpConnectorTransport(bool allowLoopback, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowLoopback, cancellationToken),
        };
        _client = new HttpClient(handler) { Timeout = timeout ?? TimeSpan.FromSeconds(15) };
    }

    public async Task<ConnectorDelivery> PostAsync(Uri url, IReadOnlyDictionary<string, string> headers, string body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(headers);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.UserAgent.ParseAdd("Lethe-Connector/1");
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var code = (int)response.StatusCode;
            return new ConnectorDelivery(code is >= 200 and < 300, $"HTTP {code}");
        }
        catch (HttpRequestException ex)
        {
            return new ConnectorDelivery(false, ex.InnerException is RefusedAddressException refused ? refused.Message : $"network error ({ex.HttpRequestError})");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ConnectorDelivery(false, "timed out");
        }
    }

    public void Dispose() => _client.Dispose();

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowLoopback, CancellationToken cancellationToken)
    {

        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(a => ConnectorRules.MayConnect(a, allowLoopback)).ToList();
        if (allowed.Count == 0 || allowed.Count != addresses.Length)
        {
            // Every address must be allowed: a name that answers with one public and one internal address is refused whole.
            throw new RefusedAddressException($"{endpoint.Host} resolves to an address connectors may not reach");
        }

        if (!allowLoopback && !ConnectorRules.AllowedPorts.Contains(endpoint.Port))
        {
            throw new RefusedAddressException($"port {endpoint.Port} is not one connectors may use");
        }

        // Each allowed address in turn (a host with an unreachable IPv6 address may still answer on IPv4).
        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }

    private sealed class RefusedAddressException(string message) : IOException(message);
}
