import type { z } from "zod";

import { auditEntry, auditListResponse } from "../../audit/schemas";
import {
  createKeyRequest,
  keyAddressesResponse,
  keyRecord,
  keyWithSecret,
  listKeysResponse,
  revokeKeyRequest,
  rotateKeyRequest,
  updateKeyRequest,
  usageResponse,
} from "../../keys/schemas";
import { verifyKeyRequest, verifyKeyResponse, whoamiResponse } from "../../keys/verify-schemas";
import { createScopeRequest, listScopesResponse, scopeRecord } from "../../scopes/schemas";
import {
  createWebhookRequest,
  deliveryListResponse,
  updateWebhookRequest,
  webhookEndpoint,
  webhookListResponse,
  webhookSecretResponse,
  webhookWithSecret,
} from "../../webhooks/schemas";
import { healthResponse, liveResponse } from "../contract/service";
import { errorBody } from "../errors";

// The names under #/components/schemas. Requests are described as clients may send them (io
// "input": defaults make a field optional), responses as the server emits them (io "output").

export const REQUEST_SCHEMAS = {
  CreateKeyRequest: createKeyRequest,
  UpdateKeyRequest: updateKeyRequest,
  RotateKeyRequest: rotateKeyRequest,
  RevokeKeyRequest: revokeKeyRequest,
  VerifyKeyRequest: verifyKeyRequest,
  CreateScopeRequest: createScopeRequest,
  CreateWebhookRequest: createWebhookRequest,
  UpdateWebhookRequest: updateWebhookRequest,
} satisfies Record<string, z.ZodType>;

export const RESPONSE_SCHEMAS = {
  KeyRecord: keyRecord,
  KeyWithSecret: keyWithSecret,
  KeyList: listKeysResponse,
  Usage: usageResponse,
  KeyAddresses: keyAddressesResponse,
  VerifyKeyResult: verifyKeyResponse,
  Whoami: whoamiResponse,
  Scope: scopeRecord,
  ScopeList: listScopesResponse,
  Health: healthResponse,
  Live: liveResponse,
  WebhookEndpoint: webhookEndpoint,
  WebhookWithSecret: webhookWithSecret,
  WebhookList: webhookListResponse,
  WebhookSecret: webhookSecretResponse,
  WebhookDeliveryList: deliveryListResponse,
  AuditEntry: auditEntry,
  AuditList: auditListResponse,
  Error: errorBody,
} satisfies Record<string, z.ZodType>;
