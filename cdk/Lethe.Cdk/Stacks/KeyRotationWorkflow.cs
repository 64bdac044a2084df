using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/key-rotation.asl.json as deployed (<see cref="AslWorkflow"/>): every wrapped key rewrapped under the new tenant key
/// with KMS ReEncrypt, the tenant switched, the old key retired. KMS use comes from the tenant keys' own policies: the rewrap
/// role is a tenant-key user (ReEncryptFrom/To under the tenant's context), the retire role a retirer (ScheduleKeyDeletion);
/// no function holds a KMS action on tenant keys through IAM.
/// </summary>
public sealed class KeyRotationWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
    : AslWorkflow(scope, id, state, "key-rotation", definitionFile, [ResourceCatalog.Data, ResourceCatalog.Exports], createFunction)
{
    protected override void Grant(string handler, Function target)
    {
        var tenants = Table(ResourceCatalog.Tenants);
        switch (handler)
        {
            case Handlers.RotationBegin:
                // The tenant read and saved (nextKeyArn), conditional on its version.
                GrantTable(target, tenants, "dynamodb:GetItem", "dynamodb:PutItem");
                break;
            case Handlers.RotationRewrapPage:
                // The tenant's Keys partition read consistently; each wrapped key updated in place (KMS ReEncrypt through the key policies).
                GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:Query", "dynamodb:UpdateItem");
                break;
            case Handlers.RotationSwitch:
                GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:Query");
                GrantTable(target, tenants, "dynamodb:GetItem", "dynamodb:PutItem");
                break;
            case Handlers.RotationRetire:
                // Wrapped keys still under the old key; every stored version under the tenant's prefix (HeadObject: its key); the
                // rotation lock ends with the job. ScheduleKeyDeletion comes from the key policy's retirer statement.
                GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:Query");
                GrantErasureLock(target, "dynamodb:DeleteItem");
                foreach (var bucket in new[] { Bucket(ResourceCatalog.Data), Bucket(ResourceCatalog.Exports) })
                {
                    target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:ListBucketVersions"], Resources = [bucket.BucketArn] }));
                    target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject", "s3:GetObjectVersion"], Resources = [bucket.ArnForObjects("*")] }));
                }

                break;
            case Handlers.RotationHandOver:
                GrantStartExecution(target);
                break;
            case Handlers.RotationRecordFailure:
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            default:
                throw new InvalidOperationException($"The key rotation workflow names a handler without grants: {handler}. Add its grants to KeyRotationWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.RotationBegin => "Key rotation: new data is sealed under the target key from now on.",
        Handlers.RotationRewrapPage => "Key rotation: rewraps one page of the tenant's wrapped keys under the target (KMS ReEncrypt).",
        Handlers.RotationSwitch => "Key rotation: switches the tenant to the target once no wrapped key is under another key.",
        Handlers.RotationRetire => "Key rotation: schedules the old platform key's deletion when nothing refers to it, and completes.",
        Handlers.RotationHandOver => "Key rotation: continues a long rewrap in a fresh execution before the history limit.",
        Handlers.RotationRecordFailure => "Key rotation: records a failure on the job and in the audit (the Catch of every Task).",
        _ => $"Key rotation step {handler}.",
    };
}
