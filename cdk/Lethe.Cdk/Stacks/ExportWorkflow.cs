using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/export.asl.json as deployed (<see cref="AslWorkflow"/>): collect, package volumes into the exports bucket (SSE-KMS
/// under the tenant key, expiring after 7 days), complete. Only the package step reads personal data and writes exports.
/// </summary>
public sealed class ExportWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
    : AslWorkflow(scope, id, state, "export", definitionFile, [ResourceCatalog.Data, ResourceCatalog.Exports], createFunction)
{
    protected override void Grant(string handler, Function target)
    {
        var inventory = Table(ResourceCatalog.Inventory);
        switch (handler)
        {
            case Handlers.ExportPlanConnectors:
            case Handlers.ExportSettleConnectors:
                // The tenant (its time scale), its connectors row, and the job's call rows beside them.
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem", "dynamodb:Query");
                break;
            case Handlers.ExportCallConnector:
                // As the deletion's call step (DeletionWorkflow): the connectors row and the sealed secret, the subject's id, the call
                // row with its task token, and the callback of a confirmed or removed connector (IAM: "*" only).
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem", "dynamodb:PutItem");
                GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:GetItem");
                target.AddToRolePolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps { Actions = ["states:SendTaskSuccess"], Resources = ["*"] }));
                break;
            case Handlers.ExportCollect:
                GrantTable(target, inventory, "dynamodb:Query");
                break;
            case Handlers.ExportRecordFailure:
                break;
            case Handlers.ExportPackage:
                // The connectors' confirmations for the manifest (the job's call rows).
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:Query");
                // Reads the subject's items; registers one item per volume before writing it (an export is a copy of the person's
                // data: erasure purges it), in a transaction that checks the subject's erasure lock.
                GrantTable(target, inventory, "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem");
                GrantTable(target, Table(ResourceCatalog.Jobs), "dynamodb:ConditionCheckItem");
                // Records and consents (one table, read 100 at a time), the subject's KEK, the tenant's key ARN, the chain: read only.
                GrantTable(target, Table(ResourceCatalog.Records), "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query");
                GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:GetItem");
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                GrantTable(target, Table(ResourceCatalog.Audit), "dynamodb:Query");
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject"], Resources = [Bucket(ResourceCatalog.Data).ArnForObjects("*")] }));
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
                {
                    Actions = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                    Resources = [Bucket(ResourceCatalog.Exports).ArnForObjects("*")],
                }));
                // A volume completed after its subject's erasure had purged it is deleted by this step (every version of its key).
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
                {
                    Actions = ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                    Resources = [Bucket(ResourceCatalog.Exports).ArnForObjects("*")],
                }));
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:ListBucketVersions"], Resources = [Bucket(ResourceCatalog.Exports).BucketArn] }));
                // The subject's KEK, the SSE-KMS files and the volume under the tenant key: granted by each tenant key's policy.
                break;
            case Handlers.ExportComplete:
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                break;
            default:
                throw new InvalidOperationException($"The export workflow names a handler without grants: {handler}. Add its grants to ExportWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.ExportPlanConnectors => "Export workflow: names the connectors (the tenant's other systems) that have not confirmed the export yet.",
        Handlers.ExportCallConnector => "Export workflow: posts the signed call to one connector and waits for its callback (task token).",
        Handlers.ExportSettleConnectors => "Export workflow: lets the export collect once every connector confirmed, or fails it listing those that did not.",
        Handlers.ExportCollect => "Export workflow: counts the subject's active records and files and starts packaging.",
        Handlers.ExportPackage => "Export workflow: streams one volume (ZIP or JSON, fields decrypted) into an S3 multipart upload under the tenant key.",
        Handlers.ExportComplete => "Export workflow: completes the job; its download link expires 7 days later.",
        Handlers.ExportRecordFailure => "Export workflow: records a failure on the job and in the audit (the Catch of every Task).",
        _ => $"Export workflow step {handler}.",
    };
}
