using Lethe.Aws.Audit;
using Lethe.Catalog;
using Lethe.Domain.Audit;
using Lethe.Lambda;
using Lethe.Lambda.Events;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Audit;

public sealed record AuditChainerResult(int Tenants, int Linked);

/// <summary>
/// Triggered by the Audit table's stream: for every tenant with new journal events in the batch, links its pending events
/// into the chain from the images the batch carries (no read of the events or the pending index). Every link is conditional on
/// the event being unchained, so a replayed or reordered batch links each event exactly once.
/// </summary>
public sealed class AuditChainerHandler(AuditChainer chainer)
    : LambdaHandler<DynamoDbStreamEvent, AuditChainerResult>(LambdaJsonContext.Default.DynamoDbStreamEvent, FunctionsJsonContext.Default.AuditChainerResult)
{
    protected override async Task<AuditChainerResult> HandleAsync(DynamoDbStreamEvent input, ILambdaContext context, CancellationToken cancellationToken)
    {
        // The batch's journal events (their new images), by tenant.
        var tenants = input.Records
            .Where(r => AuditChainerFilter.Matches(r.EventName, r.Dynamodb.StringKey(AuditChainerFilter.SortKeyName)))
            .Select(r => (Pk: r.Dynamodb.StringKey("pk"), Image: r.Dynamodb.NewImage))
            .Where(r => r.Pk is not null && r.Pk.StartsWith("TENANT#", StringComparison.Ordinal))
            .GroupBy(r => r.Pk!["TENANT#".Length..], StringComparer.Ordinal)
            .ToList();
        var linked = 0;
        foreach (var tenant in tenants)
        {
            var arrived = tenant
                .Select(r => r.Image is { } image ? DynamoAuditChainStore.PendingFromStreamImage(tenant.Key, image) : null)
                .OfType<PendingAuditEvent>()
                .ToList();
            if (arrived.Count < tenant.Count())
            {
                // Not what the Audit table's stream (new images) delivers: the whole batch is tried again, never half linked.
                throw new InvalidOperationException($"A stream record of tenant {tenant.Key} carries no readable journal event image; the Audit table's stream must send new images.");
            }

            linked += await chainer.ChainArrivedAsync(tenant.Key, arrived, cancellationToken);
        }

        return new AuditChainerResult(tenants.Count, linked);
    }
}
