using Lethe.Domain.Connectors;

namespace Lethe.Domain.Tests.Erasure;

/// <summary>Connectors, their calls, the transport and the task callbacks in memory: what a Domain test of the fan-out needs.</summary>
public sealed class InMemoryConnectors : IConnectorStore, IConnectorCalls, IConnectorTransport, ITaskCallbacks, ISubjectIds
{
    private readonly Dictionary<string, (Connector Connector, string Secret)> _connectors = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Job, string Connector), ConnectorCall> _calls = [];

    /// <summary>What the transport answers; delivered (HTTP 200) unless set.</summary>
    public ConnectorDelivery Delivery { get; set; } = new(true, "HTTP 200");

    public List<(Uri Url, IReadOnlyDictionary<string, string> Headers, string Body)> Posts { get; } = [];

    public List<(string Token, string Output)> Resumed { get; } = [];

    public string? SubjectId { get; set; } = "anna.berg";

    public void Add(string name, string url = "https://crm.example.com/hook", string secret = "whsec-0123456789abcdef", params string[] types) =>
        _connectors[name] = (new Connector(name, url, types.Length == 0 ? ["deletion"] : types, DateTimeOffset.UnixEpoch, "admin"), secret);

    public void Remove(string name) => _connectors.Remove(name);

    public ConnectorCall? Call(string jobId, string connector) => _calls.GetValueOrDefault((jobId, connector));

    public Task<ConnectorPut> PutAsync(string tenantId, Connector connector, string? secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connector);
        var existing = _connectors.TryGetValue(connector.Name, out var old);
        if (!existing && _connectors.Count >= ConnectorRules.MaxPerTenant)
        {
            return Task.FromResult(ConnectorPut.LimitReached);
        }

        if (secret is null && !existing)
        {
            return Task.FromResult(ConnectorPut.SecretRequired);
        }

        _connectors[connector.Name] = (connector, secret ?? old.Secret);
        return Task.FromResult(existing ? ConnectorPut.Replaced : ConnectorPut.Created);
    }

    public Task<IReadOnlyList<Connector>> ListAsync(string tenantId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Connector>>([.. _connectors.Values.Select(c => c.Connector).OrderBy(c => c.Name, StringComparer.Ordinal)]);

    public Task<bool> DeleteAsync(string tenantId, string name, CancellationToken cancellationToken) => Task.FromResult(_connectors.Remove(name));

    public Task<(Connector Connector, string Secret)?> OpenAsync(string tenantId, string name, CancellationToken cancellationToken) =>
        Task.FromResult<(Connector, string)?>(_connectors.TryGetValue(name, out var found) ? found : null);

    public Task<IReadOnlyList<ConnectorCall>> ListAsync(string tenantId, string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ConnectorCall>>([.. _calls.Where(c => c.Key.Job == jobId).Select(c => c.Value)]);

    public Task<IReadOnlyList<ConnectorCall>> WaitingForAsync(string tenantId, string connector, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ConnectorCall>>([.. _calls.Values.Where(c => c.Connector == connector && c.Answer is null)]);

    public Task<bool> OpenAsync(string tenantId, string jobId, string connector, string taskToken, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        if (_calls.TryGetValue((jobId, connector), out var call) && call.IsConfirmed)
        {
            return Task.FromResult(false);
        }

        _calls[(jobId, connector)] = new ConnectorCall(jobId, connector, sentAt, taskToken, null);
        return Task.FromResult(true);
    }

    public Task<ConnectorCall?> AnswerAsync(string tenantId, string jobId, string connector, ConnectorAnswer answer, CancellationToken cancellationToken)
    {
        if (!_calls.TryGetValue((jobId, connector), out var call) || call.Answer is not null)
        {
            return Task.FromResult<ConnectorCall?>(null);
        }

        _calls[(jobId, connector)] = call with { Answer = answer };
        return Task.FromResult<ConnectorCall?>(call);
    }

    public Task<ConnectorDelivery> PostAsync(Uri url, IReadOnlyDictionary<string, string> headers, string body, CancellationToken cancellationToken)
    {
        Posts.Add((url, headers, body));
        return Task.FromResult(Delivery);
    }

    public Task<bool> SucceedAsync(string taskToken, string output, CancellationToken cancellationToken)
    {
        Resumed.Add((taskToken, output));
        return Task.FromResult(true);
    }

    public Task<string?> FindIdAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) => Task.FromResult(SubjectId);
}
