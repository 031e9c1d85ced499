/** An event type as a registry holds it, and how registered types are looked up. */
import type { MessageType } from "./descriptors.js";
import type { MessageSchema } from "./schema.js";

/** An event type as a registry holds it. */
export interface RegisteredType {
  /** The wire name: the message's short name, e.g. `OrderCreatedEvent`. */
  readonly name: string;
  /** The message's fully qualified name, e.g. `eventwire.shop.v1.OrderCreatedEvent`. */
  readonly fullName: string;
  /** The generated encode, decode and construction functions. */
  readonly type: MessageType<object>;
  /** The compiled schema of the payload message. */
  readonly schema: MessageSchema;
}

/** Resolves a wire name or a fully qualified name to its registered type. */
export interface TypeLookup {
  get(eventType: string): RegisteredType | undefined;
  /** The messages of the lookup's files, by fully qualified name: the types an Any may hold. */
  readonly messageTypes?: { resolve(fullName: string): MessageSchema | undefined } | undefined;
}
