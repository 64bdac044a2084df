using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Lethe.Api.Auth;

/// <summary>
/// Signing keys from a JWKS URL (the identity provider's, from configuration), cached for the refresh interval and
/// fetched again early when a token names an unknown key (rate-limited, so a flood of bad tokens cannot hammer the IdP).
/// </summary>
public sealed class JwksConfigurationManager : IConfigurationManager<OpenIdConnectConfiguration>, IDisposable
{
    private static readonly TimeSpan MinimumRefresh = TimeSpan.FromMinutes(5);
    private readonly HttpClient _http;
    private readonly Uri _jwksUrl;
    private readonly string _issuer;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private OpenIdConnectConfiguration? _current;
    private DateTimeOffset _fetchedAt;
    private bool _refreshRequested;

    public JwksConfigurationManager(HttpClient http, Uri jwksUrl, string issuer, TimeSpan interval, TimeProvider clock)
    {
        _http = http;
        _jwksUrl = jwksUrl;
        _issuer = issuer;
        _interval = interval;
        _clock = clock;
    }

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var now = _clock.GetUtcNow();
        if (_current is not null && now - _fetchedAt < _interval && !(_refreshRequested && now - _fetchedAt >= MinimumRefresh))
        {
            return _current;
        }

        await _gate.WaitAsync(cancel);
        try
        {
            now = _clock.GetUtcNow();
            if (_current is not null && now - _fetchedAt < MinimumRefresh)
            {
                return _current;
            }

            var json = await _http.GetStringAsync(_jwksUrl, cancel);
            var keys = new JsonWebKeySet(json);
            var configuration = new OpenIdConnectConfiguration { Issuer = _issuer, JsonWebKeySet = keys };
            foreach (var key in keys.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }

            if (configuration.SigningKeys.Count == 0)
            {
                // A key set with no usable signing key (empty, or only keys we cannot use) is as broken as a malformed one.
                throw new ArgumentException("The JWKS holds no usable signing key.");
            }

            _current = configuration;
            _fetchedAt = now;
            _refreshRequested = false;
            return configuration;
        }
        catch (Exception ex) when (_current is not null && IsIdentityProviderFault(ex, cancel))
        {
            // The IdP is briefly away, slow, or serving a broken key set: keep validating with the keys we have, and ask again
            // in five minutes, not per request.
            _fetchedAt = now - _interval + MinimumRefresh;
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Unreachable, timed out (not the caller's cancellation), or a response that is not a usable key set.</summary>
    private static bool IsIdentityProviderFault(Exception ex, CancellationToken cancel) => ex switch
    {
        HttpRequestException => true,
        TaskCanceledException or OperationCanceledException => !cancel.IsCancellationRequested,
        ArgumentException or System.Text.Json.JsonException or FormatException => true,
        _ => false,
    };

    public void RequestRefresh() => _refreshRequested = true;

    public void Dispose() => _gate.Dispose();
}
