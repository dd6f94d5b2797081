import type { Resources } from './capacity.js';

/** Docker's container states (ContainerInspect State.Status). */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** A container that carries the cloudmatrix labels (app, plan, revision, port), on one node. */
export interface RunningContainer {
  id: string;
  name: string;
  node: string;
  app: string;
  plan: string;
  revision: string;
  image: string;
  /** container port (label cloudmatrix.port) */
  port: number;
  hostPort: number | null;
  state: ContainerState;
  /**
   * whether it passed its health check under a deploy, a rollback or watch (the manager's record);
   * one that did not is an orphan (a crashed deploy's leftover): never kept, never routed.
   * undefined counts as known-good.
   */
  knownGood?: boolean;
  /** what it reserves on its node (labels cloudmatrix.memory, cloudmatrix.cpus); absent: nothing */
  reserved?: Resources;
}

/** A node as deploy sees it: from the inventory, plus whether its Docker answered. */
export interface LiveNode {
  name: string;
  ip: string;
  reachable: boolean;
  /** memory and CPUs (docker info), when asked; apps with resources are placed only on nodes that have it */
  capacity?: Resources;
  /** drained (cloudmatrix node drain): nothing new is placed there, and what runs there moves away */
  cordoned?: boolean;
}

export type StopReason =
  | 'removed-from-plan'
  | 'outdated'
  | 'node-gone'
  | 'node-unreachable'
  | 'not-allowed'
  | 'not-running'
  | 'orphan'
  | 'excess'
  | 'cordoned';

export interface StartAction {
  kind: 'start';
  app: string;
  node: string;
  revision: string;
  /** resolved against the registry when the diff was given one */
  image: string;
  /** per app and node, the smallest number no container of the app there uses */
  slot: number;
  name: string;
  port: number;
  hostPort: number | null;
}

export interface StopAction {
  kind: 'stop';
  app: string;
  node: string;
  containerId: string;
  name: string;
  revision: string;
  reason: StopReason;
}

export interface KeepAction {
  kind: 'keep';
  app: string;
  node: string;
  containerId: string;
  name: string;
  revision: string;
}

export type Action = StartAction | StopAction | KeepAction;
