using Lethe.Domain.Audit;
using Lethe.Lambda;
using Lethe.Lambda.Events;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Audit;

public sealed record AuditChainerResult(int Tenants, int Linked);

/// <summary>
/// Triggered by the Audit table's stream: for every tenant with new journal events in the batch, links its pending events
/// into the chain, the batch's own events included even before the pending index shows them. The batch only says where to
/// look; the chain store says what is still unchained, so a replayed or reordered batch links each event exactly once.
/// </summary>
public sealed class AuditChainerHandler(AuditChainer chainer)
    : LambdaHandler<DynamoDbStreamEvent, AuditChainerResult>(LambdaJsonContext.Default.DynamoDbStreamEvent, FunctionsJsonContext.Default.AuditChainerResult)
{
    protected override async Task<AuditChainerResult> HandleAsync(DynamoDbStreamEvent input, ILambdaContext context, CancellationToken cancellationToken)
    {
        // The batch's journal events, by tenant: they are linked even when the pending index does not show them yet.
        var tenants = input.Records
            .Where(r => r.EventName == "INSERT")
            .Select(r => (Pk: r.Dynamodb.StringKey("pk"), Sk: r.Dynamodb.StringKey("sk")))
            .Where(k => k.Pk is not null && k.Pk.StartsWith("TENANT#", StringComparison.Ordinal) && (k.Sk?.StartsWith("EVENT#", StringComparison.Ordinal) ?? false))
            .GroupBy(k => k.Pk!["TENANT#".Length..], StringComparer.Ordinal)
            .ToList();
        var linked = 0;
        foreach (var tenant in tenants)
        {
            linked += await chainer.ChainPendingAsync(tenant.Key, tenant.Select(k => k.Sk!).ToList(), cancellationToken);
        }

        return new AuditChainerResult(tenants.Count, linked);
    }
}
