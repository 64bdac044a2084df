using Lethe.Catalog;
using Lethe.Domain.Audit;
using Lethe.Lambda;
using Lethe.Lambda.Events;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Audit;

public sealed record AuditChainerResult(int Tenants, int Linked);

/// <summary>
/// Triggered by the Audit table's stream: for every tenant with new journal events in the batch, links its pending events
/// into the chain. The batch only names the events: they are read back from the table by key, so an invocation cannot put
/// words into the chain, and every link is conditional on the event being unchained, so a replayed or reordered batch links
/// each event exactly once.
/// </summary>
public sealed class AuditChainerHandler(AuditChainer chainer)
    : LambdaHandler<DynamoDbStreamEvent, AuditChainerResult>(LambdaJsonContext.Default.DynamoDbStreamEvent, FunctionsJsonContext.Default.AuditChainerResult)
{
    protected override async Task<AuditChainerResult> HandleAsync(DynamoDbStreamEvent input, ILambdaContext context, CancellationToken cancellationToken)
    {
        // The batch's journal events, by tenant: their keys only; the chainer reads them back from the table.
        var tenants = input.Records
            .Where(r => AuditChainerFilter.Matches(r.EventName, r.Dynamodb.StringKey(AuditChainerFilter.SortKeyName)))
            .Select(r => (Pk: r.Dynamodb.StringKey("pk"), Sk: r.Dynamodb.StringKey(AuditChainerFilter.SortKeyName)!))
            .Where(k => k.Pk is not null && k.Pk.StartsWith("TENANT#", StringComparison.Ordinal))
            .GroupBy(k => k.Pk!["TENANT#".Length..], StringComparer.Ordinal)
            .ToList();
        var linked = 0;
        foreach (var tenant in tenants)
        {
            linked += await chainer.ChainArrivedAsync(tenant.Key, tenant.Select(k => k.Sk).ToList(), cancellationToken);
        }

        return new AuditChainerResult(tenants.Count, linked);
    }
}
