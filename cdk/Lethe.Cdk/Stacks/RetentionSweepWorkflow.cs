using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/retention-sweep.asl.json as deployed (<see cref="AslWorkflow"/>): due items from the byExpiry index in pages, purged
/// through the erasure's own moves (hold checked in each), a KEK shredded when its subject has nothing left, one retention
/// certificate per run; and the daily schedule that starts a run per tenant.
/// </summary>
public sealed class RetentionSweepWorkflow : AslWorkflow
{
    public RetentionSweepWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
        : base(scope, id, state, "retention-sweep", definitionFile, [ResourceCatalog.Data, ResourceCatalog.Exports, ResourceCatalog.Certificates], createFunction)
    {
        var schedule = Support(createFunction, Handlers.RetentionSchedule, "Daily retention schedule: starts a retention sweep for every active tenant without one running.");
        new Rule(this, "DailyRetentionSweep", new RuleProps
        {
            Description = "Starts each tenant's retention sweep, daily (data past retention is archived or purged within 7 days).",
            Schedule = Schedule.Cron(new CronOptions { Hour = "4", Minute = "0" }),
            Targets = [new LambdaFunction(schedule, new LambdaFunctionProps { RetryAttempts = 3 })],
        });
    }

    protected override void Grant(string handler, Function target)
    {
        var inventory = Table(ResourceCatalog.Inventory);
        var manifests = Table(ResourceCatalog.Manifests);
        switch (handler)
        {
            case Handlers.RetentionBegin:
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                break;
            case Handlers.RetentionSelectPage:
                // The byExpiry buckets; where the last completed run stopped (beside the jobs), else the tenant's first day; the manifest.
                GrantTable(target, inventory, "dynamodb:Query");
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                GrantTable(target, manifests, "dynamodb:PutItem");
                break;
            case Handlers.RetentionPurgePage:
                // The manifest; consistent re-reads; the erasure's moves (hidden, tombstone put with the record's delete, purging,
                // purged), each checking the subject's hold marker; deferral; whether the subject has anything left.
                GrantTable(target, manifests, "dynamodb:GetItem");
                GrantTable(target, inventory, "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem");
                GrantTable(target, Table(ResourceCatalog.Records), "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Query");
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:Query", "dynamodb:ConditionCheckItem");
                // A subject whose erasure is open is left to it (its lock).
                GrantErasureLock(target, "dynamodb:GetItem");
                // The KEK of a subject with nothing left: read, then deleted with the directory entry (conditional on no write
                // since the quiet period began) and a tombstone put.
                GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem");
                GrantObjectPurge(target);
                // The archive: a subject's records read in one call, written (sealed) into an archived object of the tier's
                // storage class with its tags, each row deleted in the move's transaction; files tagged lethe:tier for the
                // lifecycle rule (their other tags kept). SSE-KMS under the tenant key comes from the key's own policy.
                GrantTable(target, Table(ResourceCatalog.Records), "dynamodb:BatchGetItem");
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
                {
                    Actions = ["s3:PutObject"],
                    Resources = [Bucket(ResourceCatalog.Data).ArnForObjects("*/archive/*")],
                }));
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
                {
                    Actions = ["s3:PutObjectTagging", "s3:GetObjectTagging"],
                    Resources = [Bucket(ResourceCatalog.Data).ArnForObjects("*")],
                }));
                break;
            case Handlers.RetentionCertify:
                GrantCertificateSigning(target);
                break;
            case Handlers.RetentionStartBackupScrub:
                // The scrub's job and execution: granted by the backup-scrub workflow (StatelessStack), whose machine this names.
                break;
            case Handlers.RetentionComplete:
                // Where this run stopped (beside the jobs), the tenant's sweep lock ended, the page manifests deleted.
                GrantErasureLock(target, "dynamodb:DeleteItem");
                GrantTable(target, manifests, "dynamodb:Query", "dynamodb:DeleteItem");
                break;
            case Handlers.RetentionHandOver:
                GrantStartExecution(target);
                break;
            case Handlers.RetentionRecordFailure:
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            case Handlers.RetentionSchedule:
                // Lists the tenants; stores each run's job with the tenant's sweep lock (one transaction) and starts its execution.
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:Scan", "dynamodb:GetItem");
                GrantErasureLock(target, "dynamodb:PutItem");
                GrantStartAndDescribe(target);
                break;
            default:
                throw new InvalidOperationException($"The retention sweep workflow names a handler without grants: {handler}. Add its grants to RetentionSweepWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.RetentionBegin => "Retention sweep: starts a run, due as of the moment it was requested.",
        Handlers.RetentionSelectPage => "Retention sweep: selects the next page of due items from the byExpiry index and writes its manifest.",
        Handlers.RetentionPurgePage => "Retention sweep: archives or purges one page of due items (held subjects skipped, counted and deferred), shredding the KEK of a subject with nothing left.",
        Handlers.RetentionCertify => "Retention sweep: signs the run's retention certificate (KMS, P-256) into the Object-Lock bucket, once.",
        Handlers.RetentionStartBackupScrub => "Retention sweep: starts the backup scrub of a certified run that purged something.",
        Handlers.RetentionComplete => "Retention sweep: records where the run stopped and completes the job.",
        Handlers.RetentionHandOver => "Retention sweep: continues a long run in a fresh execution before the history limit.",
        Handlers.RetentionRecordFailure => "Retention sweep: records a failure on the job and in the audit (the Catch of every Task).",
        _ => $"Retention sweep step {handler}.",
    };
}
