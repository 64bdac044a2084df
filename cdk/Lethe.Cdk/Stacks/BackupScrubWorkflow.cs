using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/backup-scrub.asl.json as deployed (<see cref="AslWorkflow"/>): after a certified deletion or retention run, the
/// backups are checked (PITR at most 30 days, no on-demand backup from before the deletion left), the window waited out, every
/// purged key's remaining versions and replica copies deleted, and a supplemental certificate issued. The data bucket's replica
/// is optional: context <c>lethe:dataReplicaBucket</c> (and <c>lethe:dataReplicaRegion</c> when it lives in another region).
/// </summary>
public sealed class BackupScrubWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
    : AslWorkflow(scope, id, state, "backup-scrub", definitionFile, [ResourceCatalog.Data, ResourceCatalog.Exports, ResourceCatalog.Certificates], createFunction)
{
    public const string ReplicaBucketContext = "lethe:dataReplicaBucket";
    public const string ReplicaRegionContext = "lethe:dataReplicaRegion";

    protected override void Grant(string handler, Function target)
    {
        switch (handler)
        {
            case Handlers.ScrubBegin:
                // The source's certificate is read; the tenant's time scale; every erased-data table's PITR window and its
                // on-demand backups are looked at.
                GrantCertificateRead(target);
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                GrantBackupInspection(target);
                break;
            case Handlers.ScrubPage:
                // The source's tombstones (byPurger); the purge's own object deletion (an archived object shared with live items
                // is looked up and kept; a retrieved record's copy row deleted again), and the replica's copies.
                GrantTable(target, Table(ResourceCatalog.Inventory), "dynamodb:Query");
                GrantTable(target, Table(ResourceCatalog.Records), "dynamodb:BatchWriteItem");
                GrantObjectPurge(target);
                GrantReplicaPurge(target);
                break;
            case Handlers.ScrubCertify:
                GrantCertificateSigning(target);
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                GrantBackupInspection(target);
                break;
            case Handlers.ScrubHandOver:
                GrantStartExecution(target);
                break;
            case Handlers.ScrubRecordFailure:
                // A scrub holds no lock: its failure is the job's and the journal's alone.
                break;
            default:
                throw new InvalidOperationException($"The backup scrub workflow names a handler without grants: {handler}. Add its grants to BackupScrubWorkflow.");
        }
    }

    /// <summary>What starting a scrub takes (the erasure's and the retention sweep's start steps): its job stored, its execution started.</summary>
    public void GrantStart(Function function)
    {
        ArgumentNullException.ThrowIfNull(function);
        GrantTable(function, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
        GrantTable(function, Table(ResourceCatalog.Jobs), "dynamodb:PutItem");
        GrantStartExecution(function);
    }

    private void GrantCertificateRead(Function function) => Bucket(ResourceCatalog.Certificates).GrantRead(function);

    private void GrantBackupInspection(Function function)
    {
        foreach (var table in ResourceCatalog.ErasedDataTables)
        {
            GrantTable(function, Table(table), "dynamodb:DescribeContinuousBackups");
        }

        // ListBackups names no resource (IAM: "*" only); it lists, never reads a backup's content.
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["dynamodb:ListBackups"], Resources = ["*"] }));
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.ScrubBegin => "Backup scrub: checks the source is certified and every table's PITR keeps at most 30 days, then waits out the window.",
        Handlers.ScrubPage => "Backup scrub: deletes the remaining versions and replica copies of one page of purged keys.",
        Handlers.ScrubCertify => "Backup scrub: checks no backup from before the deletion is left and signs the supplemental backup-scrub certificate, once.",
        Handlers.ScrubHandOver => "Backup scrub: continues a long scrub in a fresh execution before the history limit.",
        Handlers.ScrubRecordFailure => "Backup scrub: records a failure on the job and in the audit (the Catch of every Task).",
        _ => $"Backup scrub step {handler}.",
    };
}
