using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/tenant-offboarding.asl.json as deployed (<see cref="AslWorkflow"/>): the tenant drained of its jobs, its optional
/// final export packaged, everything of it purged from every table and bucket, its keys scheduled for deletion, its certificate
/// signed. Tenant keys are used through their own policies: the export page is a tenant-key user (it decrypts what it
/// packages), the retire-keys role a retirer (ScheduleKeyDeletion); no function holds a KMS action on tenant keys through IAM.
/// </summary>
public sealed class TenantOffboardingWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
    : AslWorkflow(scope, id, state, "tenant-offboarding", definitionFile,
        [.. ResourceCatalog.OffboardedBuckets, ResourceCatalog.Certificates], createFunction)
{
    protected override void Grant(string handler, Function target)
    {
        var tenants = Table(ResourceCatalog.Tenants);
        switch (handler)
        {
            case Handlers.OffboardingBegin:
                // The tenant read and saved (state offboarding), conditional on its version.
                GrantTable(target, tenants, "dynamodb:GetItem", "dynamodb:PutItem");
                break;
            case Handlers.OffboardingDrain:
                // Legal holds listed; the tenant active again if they stand. The tenant's open jobs listed (byStatus) and cancelled
                // (their locks ending in the same write), each execution stopped.
                GrantTable(target, tenants, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query");
                GrantErasureLock(target, "dynamodb:Query", "dynamodb:DeleteItem");
                // The subject of an open erasure is kept out of the final export (a marker in the Manifests table).
                GrantTable(target, Table(ResourceCatalog.Manifests), "dynamodb:PutItem");
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
                {
                    Actions = ["states:StopExecution"],
                    Resources = [.. Handlers.Workflows.Select(w => $"arn:{Amazon.CDK.Aws.PARTITION}:states:{Amazon.CDK.Aws.REGION}:{Amazon.CDK.Aws.ACCOUNT_ID}:execution:{StateMachineName(State.Stage, w)}:*")],
                }));
                break;
            case Handlers.OffboardingExportPage:
                // The subjects collected from the Inventory into the Manifests table; each subject's items, records, consents, KEK,
                // files and audit events read as a subject export reads them; volumes written to the exports bucket.
                GrantTable(target, Table(ResourceCatalog.Inventory), "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem");
                GrantTable(target, Table(ResourceCatalog.Manifests), "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:GetItem");
                GrantTable(target, Table(ResourceCatalog.Records), "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query");
                GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:GetItem");
                GrantTable(target, tenants, "dynamodb:GetItem");
                GrantTable(target, Table(ResourceCatalog.Audit), "dynamodb:Query");
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject"], Resources = [Bucket(ResourceCatalog.Data).ArnForObjects("*")] }));
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
                {
                    Actions = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                    Resources = [Bucket(ResourceCatalog.Exports).ArnForObjects("*")],
                }));
                break;
            case Handlers.OffboardingPurgePage:
                // The tenant's legal holds looked at before each pass (and the tenant made active again if one landed before any deletion).
                GrantTable(target, tenants, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query");
                // Every item of the tenant's partition in each purged table, read by key and deleted in batches; every version
                // under the tenant's prefix in each purged bucket and the data bucket's replica.
                foreach (var table in ResourceCatalog.OffboardedTables)
                {
                    GrantTable(target, Table(table), "dynamodb:Query", "dynamodb:BatchWriteItem");
                }

                foreach (var bucket in ResourceCatalog.OffboardedBuckets.Select(Bucket))
                {
                    target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:ListBucketVersions", "s3:ListBucket"], Resources = [bucket.BucketArn] }));
                    target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:DeleteObject", "s3:DeleteObjectVersion"], Resources = [bucket.ArnForObjects("*")] }));
                }

                GrantReplicaPurge(target);
                break;
            case Handlers.OffboardingRetireKeys:
                // The tenant's keys read from it; ScheduleKeyDeletion comes from each key policy's retirer statement.
                GrantTable(target, tenants, "dynamodb:GetItem");
                break;
            case Handlers.OffboardingCertify:
                GrantTable(target, tenants, "dynamodb:GetItem");
                GrantCertificateSigning(target);
                break;
            case Handlers.OffboardingTerminate:
                // The tenant saved as terminated; the offboarding lock ends with the job. Starting the scrub: StatelessStack
                // (BackupScrubWorkflow.GrantStart), whose machine this names.
                GrantTable(target, tenants, "dynamodb:GetItem", "dynamodb:PutItem");
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            case Handlers.OffboardingHandOver:
                GrantStartExecution(target);
                break;
            case Handlers.OffboardingRecordFailure:
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            default:
                throw new InvalidOperationException($"The tenant offboarding workflow names a handler without grants: {handler}. Add its grants to TenantOffboardingWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.OffboardingBegin => "Tenant offboarding: the tenant refuses changes from now on.",
        Handlers.OffboardingDrain => "Tenant offboarding: stops at a legal hold; cancels or waits for the tenant's other jobs.",
        Handlers.OffboardingExportPage => "Tenant offboarding: collects the subjects and packages one volume of the final export.",
        Handlers.OffboardingPurgePage => "Tenant offboarding: deletes one page of the tenant's items and object versions.",
        Handlers.OffboardingRetireKeys => "Tenant offboarding: schedules the tenant's platform keys for deletion.",
        Handlers.OffboardingCertify => "Tenant offboarding: signs the tenant-offboarding certificate.",
        Handlers.OffboardingTerminate => "Tenant offboarding: terminates the tenant, starts its backup scrub, and completes.",
        Handlers.OffboardingHandOver => "Tenant offboarding: continues a long export or purge in a fresh execution before the history limit.",
        Handlers.OffboardingRecordFailure => "Tenant offboarding: records a failure on the job and in the audit (the Catch of every Task).",
        _ => $"Tenant offboarding step {handler}.",
    };
}
