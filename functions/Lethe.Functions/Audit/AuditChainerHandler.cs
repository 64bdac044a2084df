using Lethe.Domain.Audit;
using Lethe.Lambda;
using Lethe.Lambda.Events;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Audit;

public sealed record AuditChainerResult(int Tenants, int Linked);

/// <summary>
/// Triggered by the Audit table's stream: for every tenant with new journal events in the batch, links its pending events
/// into the chain. The batch only says which tenants to look at; the chain store says what is pending, so a replayed or
/// reordered batch links each event exactly once, in journal order.
/// </summary>
public sealed class AuditChainerHandler(AuditChainer chainer)
    : LambdaHandler<DynamoDbStreamEvent, AuditChainerResult>(LambdaJsonContext.Default.DynamoDbStreamEvent, FunctionsJsonContext.Default.AuditChainerResult)
{
    protected override async Task<AuditChainerResult> HandleAsync(DynamoDbStreamEvent input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var tenants = input.Records
            .Where(r => r.EventName == "INSERT" && (r.Dynamodb.StringKey("sk")?.StartsWith("EVENT#", StringComparison.Ordinal) ?? false))
            .Select(r => r.Dynamodb.StringKey("pk"))
            .OfType<string>()
            .Where(pk => pk.StartsWith("TENANT#", StringComparison.Ordinal))
            .Select(pk => pk["TENANT#".Length..])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var linked = 0;
        foreach (var tenant in tenants)
        {
            linked += await chainer.ChainPendingAsync(tenant, cancellationToken);
        }

        return new AuditChainerResult(tenants.Count, linked);
    }
}
