using Lethe.Aws.Audit;
using Lethe.Aws.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Evidence;
using Lethe.Aws.Tenants;
using Lethe.Domain.Audit;
using Lethe.Domain.Errors;
using Lethe.Functions.Audit;
using Lethe.Functions.Platform;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions;

/// <summary>
/// Every Lambda function Lethe deploys, by handler name. The CDK app sets <c>_HANDLER</c> to one of these names, and the
/// local cloud's gateway serves the same names in-process, so a workflow calls the same code in both places.
/// </summary>
public static class FunctionCatalog
{
    public const string Ping = "ping";
    public const string AuditChainer = "audit-chainer";
    public const string AuditAnchor = "audit-anchor";

    public static IReadOnlyList<string> HandlerNames { get; } = [Ping, AuditChainer, AuditAnchor];

    public static HandlerRegistry Register(HandlerRegistry registry, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ErrorTypes.Register(ex => ex is LetheException lethe ? lethe.ErrorType : null);
        // Clients are built once per process (a warm Lambda reuses them), on first use, from the environment the CDK app sets.
        var chainStore = new Lazy<IAuditChainStore>(() => new DynamoAuditChainStore(AwsClients.DynamoDb(), ResourceNames.FromEnvironment().Table(ResourceCatalog.Audit)));
        registry.Add(Ping, () => new PingHandler(clock));
        registry.Add(AuditChainer, () => new AuditChainerHandler(new Domain.Audit.AuditChainer(chainStore.Value)));
        var anchorer = new Lazy<(AuditAnchorer, DynamoTenantRepository)>(() =>
        {
            var names = ResourceNames.FromEnvironment();
            var signer = new KmsEvidenceSigner(AwsClients.Kms(), names.Key(ResourceCatalog.SigningKey));
            var store = new S3AnchorStore(AwsClients.S3(), names.Bucket(ResourceCatalog.AuditArchive));
            return (new AuditAnchorer(chainStore.Value, store, signer, clock), new DynamoTenantRepository(AwsClients.DynamoDb(), names.Table(ResourceCatalog.Tenants)));
        });
        registry.Add(AuditAnchor, () => new AuditAnchorHandler(anchorer.Value.Item1, anchorer.Value.Item2));
        return registry;
    }
}
