using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Lethe.Domain.Connectors;

/// <summary>
/// One of the tenant's other systems that an erasure fans out to (API.md, Requests: connectors): a signed webhook. The secret is
/// never part of this record: it is sealed in the store and opened only by the step that signs a call.
/// </summary>
public sealed record Connector(string Name, string Url, IReadOnlyList<string> Types, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    public bool Serves(string requestType) => Types.Contains(requestType, StringComparer.Ordinal);
}

/// <summary>What a system answered through the callback: <c>done</c> or <c>failed</c>, how many items it handled, a short message.</summary>
public sealed record ConnectorAnswer(string Status, long Items, string? Message, DateTimeOffset At)
{
    public const string Done = "done";
    public const string Failed = "failed";

    /// <summary>Recorded for a call whose connector the tenant removed while it waited: nobody owes an answer any more.</summary>
    public const string Removed = "removed";

    public bool IsDone => Status == Done;
}

/// <summary>
/// One call of a job to one connector: sent (waiting, with the task token that resumes the workflow) or answered. A retry sends
/// again to every connector whose call is not answered <c>done</c>.
/// </summary>
public sealed record ConnectorCall(string JobId, string Connector, DateTimeOffset SentAt, string? TaskToken, ConnectorAnswer? Answer)
{
    public bool IsConfirmed => Answer is { IsDone: true };
}

/// <summary>The tenant's connectors (one row per tenant, so the limit and a concurrent change are decided by the write itself).</summary>
public interface IConnectorStore
{
    /// <summary>
    /// Creates or replaces a connector. A null <paramref name="secret"/> keeps the stored one (an update of the URL or types);
    /// the outcome says when there is none to keep, or when the tenant has <see cref="ConnectorRules.MaxPerTenant"/> already.
    /// </summary>
    Task<ConnectorPut> PutAsync(string tenantId, Connector connector, string? secret, CancellationToken cancellationToken);

    Task<IReadOnlyList<Connector>> ListAsync(string tenantId, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string tenantId, string name, CancellationToken cancellationToken);

    /// <summary>The connector with its opened secret, for signing a call; null when it no longer exists.</summary>
    Task<(Connector Connector, string Secret)?> OpenAsync(string tenantId, string name, CancellationToken cancellationToken);
}

public enum ConnectorPut
{
    Created,
    Replaced,
    SecretRequired,
    LimitReached,
}

/// <summary>The calls of a job to its connectors (rows beside the connectors, none holding anything of the subject).</summary>
public interface IConnectorCalls
{
    Task<IReadOnlyList<ConnectorCall>> ListAsync(string tenantId, string jobId, CancellationToken cancellationToken);

    /// <summary>Every call to <paramref name="connector"/> that still waits for its answer, whatever the job (a removal releases them).</summary>
    Task<IReadOnlyList<ConnectorCall>> WaitingForAsync(string tenantId, string connector, CancellationToken cancellationToken);

    /// <summary>Records a call as sent and waiting on <paramref name="taskToken"/>; false when it was answered <c>done</c> already.</summary>
    Task<bool> OpenAsync(string tenantId, string jobId, string connector, string taskToken, DateTimeOffset sentAt, CancellationToken cancellationToken);

    /// <summary>
    /// Records the answer of a waiting call, once (the write's own condition): returns the call as it was (its task token), or
    /// null when no call of that job and connector waits (never sent, or answered already).
    /// </summary>
    Task<ConnectorCall?> AnswerAsync(string tenantId, string jobId, string connector, ConnectorAnswer answer, CancellationToken cancellationToken);
}

/// <summary>Posts a signed call to a connector's URL. Only the addresses <see cref="ConnectorRules"/> allows are ever connected to.</summary>
public interface IConnectorTransport
{
    Task<ConnectorDelivery> PostAsync(Uri url, IReadOnlyDictionary<string, string> headers, string body, CancellationToken cancellationToken);
}

/// <summary>How a post went: delivered (2xx), or why not (status code or a network failure, never a body).</summary>
public sealed record ConnectorDelivery(bool Delivered, string Outcome);

/// <summary>Resumes the workflow task that waits on a token (Step Functions SendTaskSuccess).</summary>
public interface ITaskCallbacks
{
    /// <summary>False when the task no longer waits (timed out, or its execution ended).</summary>
    Task<bool> SucceedAsync(string taskToken, string output, CancellationToken cancellationToken);
}

/// <summary>The rules for connectors (names, URLs, secrets, answers) and the addresses a call may reach (the SSRF rules).</summary>
public static class ConnectorRules
{
    public const int MaxPerTenant = 10;
    public const int MaxUrlLength = 2048;
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 256;
    public const int MaxMessageLength = 500;

    /// <summary>The ports a connector may listen on in AWS (calls cannot be turned into a scan of other services' ports).</summary>
    public static IReadOnlyList<int> AllowedPorts { get; } = [443, 8443];

    public const string NameRule = "A connector name is 2–40 characters of [a-z0-9-], starting with a letter.";

    /// <summary>The request types a connector may serve (API.md).</summary>
    public static IReadOnlyList<string> RequestTypes { get; } = ["deletion", "export"];

    /// <summary>How long a system has to answer (scaled by the tenant's time scale): API.md's <c>P7D</c>.</summary>
    public static TimeSpan AnswerWindow { get; } = TimeSpan.FromDays(7);

    public static bool IsValidName([NotNullWhen(true)] string? name) =>
        name is { Length: >= 2 and <= 40 } && char.IsAsciiLetterLower(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>The answer window of a tenant in whole seconds (at least one): the callback task's timeout.</summary>
    public static int AnswerTimeoutSeconds(int timeScale) =>
        (int)Math.Clamp(Math.Ceiling(Policies.LifecyclePolicy.Scaled(AnswerWindow, timeScale).TotalSeconds), 1, int.MaxValue);

    /// <summary>
    /// Why a URL may not be a connector's, or null when it may: absolute, https (http only to a loopback host when
    /// <paramref name="allowLoopback"/>, the local stage), no user info or fragment, and a host that is not a private,
    /// loopback, link-local or otherwise internal address or name. Names are checked again by address when a call connects.
    /// </summary>
    public static string? UrlProblem(string? url, bool allowLoopback)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength)
        {
            return $"url is required: an absolute https URL of at most {MaxUrlLength} characters.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "url must be an absolute https URL.";
        }

        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            return "url may not carry user info or a fragment.";
        }

        var loopback = IsLoopbackHost(uri);
        if (loopback)
        {
            return allowLoopback ? null : "url may not name this machine (localhost or a loopback address).";
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return "url must use https.";
        }

        if (!AllowedPorts.Contains(uri.Port))
        {
            return $"url must use port {string.Join(" or ", AllowedPorts)}.";
        }

        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            return IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) && IsPublic(address)
                ? null
                : "url must name a public address (not private, link-local, multicast or reserved).";
        }

        var host = uri.IdnHost.TrimEnd('.').ToLowerInvariant();
        if (!host.Contains('.', StringComparison.Ordinal) || InternalSuffixes.Any(s => host.EndsWith(s, StringComparison.Ordinal)))
        {
            return "url must name a public host (not a single-label, .internal, .local or .localhost name).";
        }

        return null;
    }

    /// <summary>Whether a call may connect to <paramref name="address"/>: public addresses, and loopback when allowed (local stage).</summary>
    public static bool MayConnect(IPAddress address, bool allowLoopback)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IsPublic(address) || (allowLoopback && IPAddress.IsLoopback(Unmapped(address)));
    }

    /// <summary>Globally routable unicast only: every private, shared, loopback, link-local, documentation and reserved range is refused.</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = Unmapped(address);

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 or >= 224
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2))
                || (b[0] == 192 && b[1] == 88 && b[2] == 99)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        var v6 = address.GetAddressBytes();
        // Global unicast is 2000::/3; inside it, documentation (2001:db8::/32), ORCHID, 6to4 and Teredo can hide other addresses.
        return (v6[0] & 0xE0) == 0x20
            && !(v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8)
            && !(v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x00 && v6[3] == 0x00)
            && !(v6[0] == 0x20 && v6[1] == 0x02)
            && !(v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x00 && (v6[3] & 0xF0) == 0x10);
    }

    /// <summary>Why a secret may not be used, or null: 16–256 printable ASCII characters.</summary>
    public static string? SecretProblem(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return secret.Length is < MinSecretLength or > MaxSecretLength || secret.Any(c => c is < '!' or > '~')
            ? $"secret must be {MinSecretLength}–{MaxSecretLength} printable ASCII characters without spaces."
            : null;
    }

    private static readonly string[] InternalSuffixes = [".internal", ".local", ".localhost", ".localdomain", ".home.arpa", ".arpa"];

    private static bool IsLoopbackHost(Uri uri)
    {
        var host = uri.IdnHost.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        return host == "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(Unmapped(address)));
    }

    /// <summary>An IPv4 address written as IPv6 (<c>::ffff:10.0.0.1</c>) is judged as the IPv4 address it is.</summary>
    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>How one connector's wait ended in the Map: the answer's status, or the error that ended it (a timeout, no delivery).</summary>
public sealed record ConnectorOutcome(string Connector)
{
    public string? Status { get; init; }

    public string? Error { get; init; }
}

/// <summary>Finds a subject's id by its ref while the subject exists (the subject directory); a call names the person to the system.</summary>
public interface ISubjectIds
{
    Task<string?> FindIdAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);
}

/// <summary>The ports of the fan-out steps.</summary>
public sealed record ConnectorPorts(IConnectorStore Store, IConnectorCalls Calls, IConnectorTransport Transport, ITaskCallbacks Callbacks, ISubjectIds Subjects)
{
    /// <summary>Whether calls may reach loopback addresses (the local stage, where receivers listen on localhost).</summary>
    public bool AllowLoopback { get; init; }
}

/// <summary>A connector could not be reached (no 2xx after the post): Step Functions retries <c>Lethe.ConnectorUnreachable</c> with backoff.</summary>
public sealed class ConnectorUnreachableException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.ConnectorUnreachable";

    public override string ErrorType => Name;
}

/// <summary>Connectors did not confirm (no answer in time, unreachable, or answered failed): the job fails listing them; retry sends again.</summary>
public sealed class ConnectorsUnconfirmedException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.ConnectorsUnconfirmed";

    public override string ErrorType => Name;
}
